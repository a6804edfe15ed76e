import { detectCgroupLayout } from '../stats/cgroup-layout';
import type { ReadOnlyFs } from '../stats/read-only-fs';
import { failed, passed, type CheckResult } from './check';

export const MEMORY_CGROUP_CHECK = 'memory-cgroup';

/** Raspberry Pi OS images boot with the memory cgroup off unless cmdline.txt turns it on. */
export const MEMORY_CGROUP_DISABLED =
  'the memory cgroup is disabled: add `cgroup_enable=memory cgroup_memory=1` to /boot/firmware/cmdline.txt ' +
  '(on older images /boot/cmdline.txt) and reboot';

export const NO_CGROUPS =
  'no cgroup filesystem is mounted (nothing of type cgroup or cgroup2 in /proc/self/mountinfo): ' +
  'Docker and orchard-agent need cgroups; boot with systemd or mount cgroup2 at /sys/fs/cgroup';

/**
 * The "enabled" column of the memory line in /proc/cgroups: false when the kernel was
 * booted with cgroup_disable=memory, undefined when the file or line is missing.
 */
function memoryEnabledInProc(fs: ReadOnlyFs): boolean | undefined {
  const text = fs.readText('/proc/cgroups');
  if (text === undefined) return undefined;
  const line = text.split('\n').find((l) => l.startsWith('memory\t') || l.startsWith('memory '));
  if (!line) return false;
  const enabled = line.trim().split(/\s+/)[3];
  return enabled === undefined ? undefined : enabled === '1';
}

/**
 * Without the memory cgroup Docker cannot enforce memory limits and the agent cannot
 * account memory. v2: `memory` must be among /sys/fs/cgroup/cgroup.controllers; v1: the
 * memory controller must be mounted and enabled in /proc/cgroups.
 */
export function checkMemoryCgroup(fs: ReadOnlyFs): CheckResult {
  const layout = detectCgroupLayout(fs);
  if (!layout) return failed(MEMORY_CGROUP_CHECK, NO_CGROUPS);
  const inUnified = layout.unifiedControllers.includes('memory');
  if (layout.version === 2) {
    return inUnified ? passed(MEMORY_CGROUP_CHECK, 'cgroup v2') : failed(MEMORY_CGROUP_CHECK, MEMORY_CGROUP_DISABLED);
  }
  if (memoryEnabledInProc(fs) === false) return failed(MEMORY_CGROUP_CHECK, MEMORY_CGROUP_DISABLED);
  if (layout.memoryRoot === undefined && !inUnified) return failed(MEMORY_CGROUP_CHECK, MEMORY_CGROUP_DISABLED);
  return passed(MEMORY_CGROUP_CHECK, layout.memoryRoot ? `cgroup v1 at ${layout.memoryRoot}` : 'cgroup v2 (hybrid)');
}
