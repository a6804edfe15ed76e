import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';

/**
 * The node's mount table, as far as the agent changes it: the tmpfs that holds a pod's
 * secret volume (a Secret must never be written to the SD card, as kubelet keeps them in
 * memory too). Behind an interface so that tests use a fake.
 */
export interface Mounter {
  /** Whether `dir` is itself the mount point of a tmpfs. */
  isTmpfs(dir: string): Promise<boolean>;
  /** Mounts an empty tmpfs of at most `sizeBytes` at `dir` (which exists). */
  mountTmpfs(dir: string, sizeBytes: number): Promise<void>;
  /** Unmounts `dir`; not being mounted is fine. */
  unmount(dir: string): Promise<void>;
  /** The mount points strictly below `dir`, deepest first (so they can be unmounted in order). */
  mountsUnder(dir: string): Promise<string[]>;
}

/** What the tmpfs mounts are called in the mount table: `findmnt -S orchard-secret` lists them. */
export const SECRET_TMPFS_SOURCE = 'orchard-secret';

/** The host's mount table through /proc/self/mountinfo, changed with mount(8) and umount(8) (the agent runs as root). */
export function systemMounter(run: (file: string, args: string[]) => Promise<void> = execFileQuiet): Mounter {
  return {
    async isTmpfs(dir) {
      return (await mountTable()).some((m) => m.mountPoint === dir && m.fsType === 'tmpfs');
    },
    async mountTmpfs(dir, sizeBytes) {
      // noexec, nosuid, nodev: files to read, nothing to run.
      await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755,noexec,nosuid,nodev`, SECRET_TMPFS_SOURCE, dir]);
    },
    async unmount(dir) {
      if (!(await mountTable()).some((m) => m.mountPoint === dir)) return;
      await run('umount', [dir]);
    },
    async mountsUnder(dir) {
      const prefix = dir.endsWith('/') ? dir : `${dir}/`;
      return (await mountTable())
        .map((m) => m.mountPoint)
        .filter((p) => p.startsWith(prefix))
        .sort((a, b) => b.length - a.length);
    },
  };
}

interface MountEntry {
  mountPoint: string;
  fsType: string;
}

/** Parses /proc/self/mountinfo: field 5 is the mount point (octal escapes), the type follows " - ". */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    if (sep < 0 || fields.length < 5) continue;
    out.push({ mountPoint: unescapeOctal(fields[4]!), fsType: fields[sep + 1] ?? '' });
  }
  return out;
}

async function mountTable(): Promise<MountEntry[]> {
  return parseMountInfo(await fs.readFile('/proc/self/mountinfo', 'utf8'));
}

function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

function execFileQuiet(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')}: ${String(stderr).trim() || err.message}`, { cause: err }));
      else resolve();
    });
  });
}
