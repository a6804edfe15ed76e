import path from 'node:path';
import type { ReadOnlyFs } from './read-only-fs';

/**
 * An in-memory file tree for tests: keys are absolute file paths, values their contents,
 * or an Error to throw on read (to act out EACCES and friends). Every parent directory of
 * a listed file exists; `dirs` adds empty directories.
 */
export function fixtureFs(files: Record<string, string | Error>, dirs: string[] = []): ReadOnlyFs & {
  /** Replaces or adds a file, so tests can advance counters between samples. */
  set(file: string, text: string | Error): void;
  /** Removes a file, as when a container's cgroup disappears. */
  remove(file: string): void;
  /** How many reads went to each path, for tests about cost. */
  reads: Map<string, number>;
} {
  const contents = new Map<string, string | Error>(Object.entries(files));
  const extraDirs = new Set(dirs.map((d) => path.posix.normalize(d)));
  const reads = new Map<string, number>();

  const isDir = (p: string) => {
    const dir = path.posix.normalize(p).replace(/\/$/, '');
    if (dir === '' || extraDirs.has(dir)) return true;
    for (const file of contents.keys()) if (file.startsWith(dir + '/')) return true;
    for (const d of extraDirs) if (d.startsWith(dir + '/')) return true;
    return false;
  };

  return {
    reads,
    readText(file) {
      reads.set(file, (reads.get(file) ?? 0) + 1);
      const v = contents.get(file);
      if (v instanceof Error) throw v;
      return v;
    },
    exists(file) {
      return contents.has(file) || isDir(file);
    },
    set(file, text) {
      contents.set(file, text);
    },
    remove(file) {
      contents.delete(file);
    },
  };
}

/** An Error shaped like the one node:fs throws, for fixture files that fail to read. */
export function errnoError(code: string, file: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: cannot read ${file}`);
  err.code = code;
  return err;
}
