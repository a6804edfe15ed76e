import { promises as fs, readFileSync } from 'node:fs';
import { sleep } from './wait';

/** True while a process with this pid exists (and is not a zombie we could reap). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // kill(0) succeeds on zombies; a zombie has finished all the same.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state letter follows the command name, which is in parentheses and may hold spaces.
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
  } catch {
    return false;
  }
}

/** Waits until the process is gone; returns false if it is still there after timeoutMs. */
export async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(50);
  }
  return true;
}

/** Sends a signal to one pid, ignoring "no such process". */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/** SIGTERM, then SIGKILL after graceMs if the process is still there; waits until it is gone. */
export async function terminate(pid: number, graceMs: number): Promise<void> {
  if (!isAlive(pid)) return;
  signal(pid, 'SIGTERM');
  if (await waitGone(pid, graceMs)) return;
  signal(pid, 'SIGKILL');
  if (!(await waitGone(pid, 10_000))) throw new Error(`process ${pid} survived SIGKILL for 10 s`);
}

/**
 * Pids of the processes whose command line contains `needle` (e.g. a folder only the bed
 * uses), excluding this process. This is how leftovers of a crashed run are found:
 * by a name that is the bed's own.
 */
export async function pidsMentioning(needle: string): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const cmdline = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).replace(/\0/g, ' ');
      if (cmdline.includes(needle)) out.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return out;
}
