import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DesiredPods, type Pod } from '@orchard/api';
import { podFingerprint, stripForAgent } from './pod-fingerprint';

/** The file the local copy lives in, under the agent's data directory. */
export const DESIRED_PODS_FILE = 'desired-pods.pb';

/**
 * The node's local copy of its desired pods, so that an agent restarted while the
 * master is down brings its pods back. Written only when the set changes (an SD card
 * wears out under periodic writes), atomically (temp file + rename) so a power cut
 * leaves the old copy or the new one, never half of one.
 */
export class DesiredPodsStore {
  private lastWritten?: Buffer;

  constructor(private readonly dataDir: string) {}

  get file(): string {
    return path.join(this.dataDir, DESIRED_PODS_FILE);
  }

  /**
   * Reads the local copy; undefined when there is none. A corrupt copy is an error
   * (the caller logs it and waits for the master).
   */
  async load(): Promise<Pod[] | undefined> {
    let bytes: Buffer;
    try {
      bytes = await fs.readFile(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`failed to read ${this.file}`, { cause: err });
    }
    let set: DesiredPods;
    try {
      set = DesiredPods.decode(bytes);
    } catch (err) {
      throw new Error(`failed to decode ${this.file}`, { cause: err });
    }
    this.lastWritten = fingerprintOf(set.pods);
    return set.pods;
  }

  /**
   * Saves the set when it differs from the saved one (ignoring status and
   * resourceVersion, which change without changing what should run). Saves are
   * serialized, and a burst of changes (twenty pods deleted at once) writes the first
   * and the last set only. Resolves with whether this call's set was written.
   */
  save(pods: readonly Pod[], revision = ''): Promise<boolean> {
    const superseded = this.pending;
    const mine = { pods, revision, done: deferred<boolean>() };
    this.pending = mine;
    superseded?.done.resolve(false);
    if (!this.writing) void this.drain();
    return mine.done.promise;
  }

  private pending?: { pods: readonly Pod[]; revision: string; done: Deferred<boolean> };
  private writing = false;

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.pending) {
        const job = this.pending;
        this.pending = undefined;
        try {
          job.done.resolve(await this.write(job.pods, job.revision));
        } catch (err) {
          job.done.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private async write(pods: readonly Pod[], revision: string): Promise<boolean> {
    // An agent restarted with the master up has not loaded the copy; it compares with
    // what is on disk anyway, so a restart does not rewrite an unchanged set.
    if (!this.lastWritten) await this.load().catch(() => undefined);
    const print = fingerprintOf(pods);
    if (this.lastWritten?.equals(print)) return false;
    const bytes = DesiredPods.encode(DesiredPods.fromPartial({ pods: pods.map(stripForAgent), revision })).finish();
    const tmp = `${this.file}.tmp`;
    try {
      await fs.mkdir(this.dataDir, { recursive: true });
      const handle = await fs.open(tmp, 'w', 0o600);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(tmp, this.file);
    } catch (err) {
      throw new Error(`failed to write ${this.file}`, { cause: err });
    }
    this.lastWritten = print;
    return true;
  }
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Order-independent fingerprint of a set of pods. */
function fingerprintOf(pods: readonly Pod[]): Buffer {
  const prints = pods
    .map((p) => ({ uid: p.metadata?.uid ?? '', print: podFingerprint(p) }))
    .sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
  return Buffer.concat(prints.flatMap((p) => [Buffer.from(`${p.print.length}:`), p.print]));
}
