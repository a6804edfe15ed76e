import fs from 'node:fs';
import path from 'node:path';

/**
 * The narrow view of the filesystem that the stats, inventory and preflight code needs:
 * small pseudo-files under /proc and /sys. Tests pass a fixture tree instead.
 */
export interface ReadOnlyFs {
  /**
   * The whole text of a small file, or undefined when it (or a parent) does not exist.
   * Other failures (permission denied, I/O errors) throw.
   */
  readText(file: string): string | undefined;
  /** Whether a file or directory exists at this path. */
  exists(file: string): boolean;
}

const MISSING = new Set(['ENOENT', 'ENOTDIR', 'ESRCH']);

function isMissing(err: unknown): boolean {
  return MISSING.has((err as NodeJS.ErrnoException)?.code ?? '');
}

/**
 * The host's filesystem, optionally below another root (for chroots and fixture trees on
 * disk). Reads go through one buffer that is reused from call to call: the sampler reads a
 * few hundred pseudo-files a minute on a Pi Zero, and a fresh Buffer per read would be
 * garbage for nothing. Synchronous reads are fine here: /proc and /sys never block on disk.
 */
export function hostFs(root = '/'): ReadOnlyFs {
  let buf = Buffer.allocUnsafe(16 * 1024);
  const resolve = (file: string) => (root === '/' ? file : path.join(root, file));

  return {
    readText(file) {
      let fd: number;
      try {
        fd = fs.openSync(resolve(file), 'r');
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
      try {
        let len = 0;
        for (;;) {
          if (len === buf.length) {
            // A large file (mountinfo on a busy host): grow once and keep the bigger buffer.
            const bigger = Buffer.allocUnsafe(buf.length * 2);
            buf.copy(bigger, 0, 0, len);
            buf = bigger;
          }
          const n = fs.readSync(fd, buf, len, buf.length - len, null);
          if (n === 0) break;
          len += n;
        }
        return buf.toString('utf8', 0, len);
      } catch (err) {
        // A cgroup removed between open and read reports ENODEV on some kernels.
        if (isMissing(err) || (err as NodeJS.ErrnoException)?.code === 'ENODEV') return undefined;
        throw err;
      } finally {
        fs.closeSync(fd);
      }
    },
    exists(file) {
      return fs.existsSync(resolve(file));
    },
  };
}
