import { promises as fs } from 'node:fs';
import { BED_ROOT, LOCK_FILE } from './layout';
import { isAlive } from './procfs';

/**
 * Takes the bed for this process; refuses while another live process holds it. The e2e
 * run and the benchmarks share names (bridge, nodes, folders) and remove each other's
 * leftovers, so only one of them may run at a time.
 */
export async function lockBed(): Promise<void> {
  await fs.mkdir(BED_ROOT, { recursive: true });
  const holder = Number((await fs.readFile(LOCK_FILE, 'utf8').catch(() => '')).trim());
  if (holder > 0 && holder !== process.pid && isAlive(holder)) {
    throw new Error(`the test bed is in use by another run (pid ${holder}, ${LOCK_FILE}); wait for it to finish`);
  }
  await fs.writeFile(LOCK_FILE, `${process.pid}\n`);
}

/** Releases the bed if this process holds it. */
export async function unlockBed(): Promise<void> {
  const holder = Number((await fs.readFile(LOCK_FILE, 'utf8').catch(() => '')).trim());
  if (holder === process.pid) await fs.rm(LOCK_FILE, { force: true });
}
