import type { ReadOnlyFs } from './read-only-fs';

/**
 * Where this host mounts its cgroup controllers. Hosts come in three shapes:
 * - v1 (legacy): one mount per controller (or per group, "cpu,cpuacct");
 * - hybrid: v1 controllers plus an empty cgroup2 mount at /sys/fs/cgroup/unified
 *   (Debian 12 with Docker's cgroupfs driver; containers appear there too, but without
 *   the memory controller);
 * - v2 (unified): one cgroup2 mount at /sys/fs/cgroup (Raspberry Pi OS bookworm/trixie).
 * Accounting comes from the v1 controller when it is mounted, else from the unified tree.
 */
export interface CgroupLayout {
  /** 1 when any v1 controller is mounted (legacy or hybrid), 2 when only cgroup2 is. */
  version: 1 | 2;
  /** Mount point of the v1 cpuacct controller ("/sys/fs/cgroup/cpu,cpuacct" on many hosts). */
  cpuacctRoot?: string;
  /** Mount point of the v1 memory controller. */
  memoryRoot?: string;
  /** Mount point of the cgroup2 hierarchy. */
  unifiedRoot?: string;
  /** Controllers available in the cgroup2 hierarchy (its root cgroup.controllers). */
  unifiedControllers: string[];
}

const MOUNTINFO = '/proc/self/mountinfo';

/** Mount options of a v1 cgroup mount that are not controller names. */
const NOT_CONTROLLERS = new Set(['rw', 'ro', 'clone_children', 'noprefix', 'xattr', 'cpuset_v2_mode']);

/** Mount points in mountinfo escape space, tab, newline and backslash as octal. */
function unescapeMount(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** The v1 controller mounts and the cgroup2 mount listed in a mountinfo text. */
export function parseCgroupMounts(mountinfo: string): {
  v1: Map<string, string>;
  unified?: string;
} {
  const v1 = new Map<string, string>();
  let unified: string | undefined;
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const [fstype, , superOpts = ''] = line.slice(sep + 3).split(' ');
    const mountPoint = pre[4];
    if (!mountPoint) continue;
    if (fstype === 'cgroup2') {
      // The first cgroup2 mount wins: a second one is a bind mount of the same tree.
      unified ??= unescapeMount(mountPoint);
    } else if (fstype === 'cgroup') {
      for (const opt of superOpts.split(',')) {
        if (NOT_CONTROLLERS.has(opt) || opt.includes('=')) continue;
        if (!v1.has(opt)) v1.set(opt, unescapeMount(mountPoint));
      }
    }
  }
  return { v1, unified };
}

/** Well-known places, for when /proc/self/mountinfo cannot be read. */
const V1_CPUACCT_GUESSES = ['/sys/fs/cgroup/cpuacct', '/sys/fs/cgroup/cpu,cpuacct', '/sys/fs/cgroup/cpuacct,cpu'];

/**
 * Finds the cgroup hierarchy this host uses, from /proc/self/mountinfo (or, when that is
 * unreadable, from the usual mount points). Undefined when no cgroup filesystem is mounted.
 */
export function detectCgroupLayout(fs: ReadOnlyFs): CgroupLayout | undefined {
  const mountinfo = fs.readText(MOUNTINFO);
  let cpuacctRoot: string | undefined;
  let memoryRoot: string | undefined;
  let unifiedRoot: string | undefined;
  let anyV1 = false;
  if (mountinfo !== undefined) {
    const mounts = parseCgroupMounts(mountinfo);
    cpuacctRoot = mounts.v1.get('cpuacct');
    memoryRoot = mounts.v1.get('memory');
    unifiedRoot = mounts.unified;
    anyV1 = mounts.v1.size > 0;
  } else {
    cpuacctRoot = V1_CPUACCT_GUESSES.find((p) => fs.exists(p + '/cpuacct.usage'));
    memoryRoot = fs.exists('/sys/fs/cgroup/memory/memory.usage_in_bytes') ? '/sys/fs/cgroup/memory' : undefined;
    unifiedRoot = ['/sys/fs/cgroup', '/sys/fs/cgroup/unified'].find((p) => fs.exists(p + '/cgroup.controllers'));
    anyV1 = cpuacctRoot !== undefined || memoryRoot !== undefined;
  }
  if (!anyV1 && unifiedRoot === undefined) return undefined;
  const controllers = unifiedRoot === undefined ? undefined : fs.readText(unifiedRoot + '/cgroup.controllers');
  return {
    version: anyV1 ? 1 : 2,
    cpuacctRoot,
    memoryRoot,
    unifiedRoot,
    unifiedControllers: controllers?.trim().split(/\s+/).filter(Boolean) ?? [],
  };
}
