import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** The side effects of the CLI besides the cluster: terminal, files, time. Tests replace it. */
export interface Io {
  stdout(s: string): void;
  stderr(s: string): void;
  readStdin(): Promise<string>;
  readFile(file: string): Promise<string>;
  /** Entries of a directory, sorted by name, with whether each is a directory. */
  readDir(dir: string): Promise<Array<{ name: string; dir: boolean }>>;
  isDir(p: string): Promise<boolean>;
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Calls fn on Ctrl-C; returns a function that removes the handler. */
  onInterrupt(fn: () => void): () => void;
  /** ORCHARD_SERVER and friends. */
  env(name: string): string | undefined;
}

/** The real terminal, file system and clock. */
export function processIo(): Io {
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    readFile: (f) => readFile(f, 'utf8'),
    async readDir(dir) {
      const entries = await readdir(dir, { withFileTypes: true });
      return entries
        .map((e) => ({ name: e.name, dir: e.isDirectory() }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    async isDir(p) {
      return (await stat(p)).isDirectory();
    },
    now: () => Date.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    onInterrupt(fn) {
      process.once('SIGINT', fn);
      return () => void process.off('SIGINT', fn);
    },
    env: (name) => process.env[name],
  };
}

/** Joins a directory entry to its directory the way the user wrote the directory. */
export function joinPath(dir: string, name: string): string {
  return path.join(dir, name);
}
