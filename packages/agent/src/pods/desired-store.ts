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
   * resourceVersion, which change without changing what should run). Returns whether
   * it wrote.
   */
  async save(pods: readonly Pod[], revision = ''): Promise<boolean> {
    const print = fingerprintOf(pods);
    if (this.lastWritten?.equals(print)) return false;
    const bytes = DesiredPods.encode({ pods: pods.map(stripForAgent), revision }).finish();
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

/** Order-independent fingerprint of a set of pods. */
function fingerprintOf(pods: readonly Pod[]): Buffer {
  const prints = pods
    .map((p) => ({ uid: p.metadata?.uid ?? '', print: podFingerprint(p) }))
    .sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
  return Buffer.concat(prints.flatMap((p) => [Buffer.from(`${p.print.length}:`), p.print]));
}
