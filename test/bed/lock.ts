import { promises as fs } from 'node:fs';
import { BED_ROOT, LOCK_FILE } from './layout';
import { isAlive } from './procfs';

/**
 * Takes the bed for this process, waiting (up to ORCHARD_BED_WAIT_S, default 1800 s)
 * while another live process holds it. The e2e run and the benchmarks share names
 * (bridge, nodes, folders) and remove each other's leftovers, so only one of them may
 * run at a time.
 */
export async function lockBed(): Promise<void> {
  await fs.mkdir(BED_ROOT, { recursive: true });
  const deadline = Date.now() + Number(process.env.ORCHARD_BED_WAIT_S ?? 1800) * 1000;
  let told = false;
  for (;;) {
    const holder = Number((await fs.readFile(LOCK_FILE, 'utf8').catch(() => '')).trim());
    if (!(holder > 0 && holder !== process.pid && isAlive(holder))) break;
    if (Date.now() > deadline) {
      throw new Error(`the test bed is in use by another run (pid ${holder}, ${LOCK_FILE}); wait for it to finish`);
    }
    if (!told) process.stderr.write(`waiting for the test bed, held by pid ${holder}\n`);
    told = true;
    await new Promise((r) => setTimeout(r, 2000));
  }
  // Write then read back: of two runs that saw the bed free at once, the last writer wins
  // and the other waits again.
  await fs.writeFile(LOCK_FILE, `${process.pid}\n`);
  await new Promise((r) => setTimeout(r, 200));
  const now = Number((await fs.readFile(LOCK_FILE, 'utf8').catch(() => '')).trim());
  if (now !== process.pid) return lockBed();
}

/** Releases the bed if this process holds it. */
export async function unlockBed(): Promise<void> {
  const holder = Number((await fs.readFile(LOCK_FILE, 'utf8').catch(() => '')).trim());
  if (holder === process.pid) await fs.rm(LOCK_FILE, { force: true });
}
