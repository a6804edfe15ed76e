/**
 * Parsers for the flat "key value" text of cgroup and /proc files. They look up one key
 * without splitting the whole file, because memory.stat has 40-odd lines and we want two.
 */

/**
 * The number after `key` in a "key value" per line file (memory.stat, cpu.stat), or
 * undefined when the key is absent or its value is not a number.
 */
export function statValue(text: string, key: string): number | undefined {
  let at = text.startsWith(key + ' ') ? 0 : text.indexOf('\n' + key + ' ');
  if (at < 0) return undefined;
  if (at > 0) at += 1;
  const start = at + key.length + 1;
  let end = text.indexOf('\n', start);
  if (end < 0) end = text.length;
  return parseCount(text.slice(start, end));
}

/** A non-negative integer counter from a pseudo-file ("12345\n"), or undefined. */
export function parseCount(text: string): number | undefined {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return undefined;
  // Cumulative nanosecond counters exceed 2^53 only after about 100 core-days; beyond
  // that a double loses nanoseconds, which deltas over seconds never notice.
  return Number(t);
}

/**
 * A value from /proc/meminfo in bytes ("MemTotal:  3884368 kB"), or undefined when the
 * line is missing.
 */
export function meminfoBytes(text: string, key: string): number | undefined {
  let at = text.startsWith(key + ':') ? 0 : text.indexOf('\n' + key + ':');
  if (at < 0) return undefined;
  if (at > 0) at += 1;
  let end = text.indexOf('\n', at);
  if (end < 0) end = text.length;
  const m = /^[^:]+:\s*(\d+)\s*(kB)?\s*$/.exec(text.slice(at, end));
  if (!m) return undefined;
  return Number(m[1]) * (m[2] ? 1024 : 1);
}

/** The aggregate CPU time from /proc/stat, in USER_HZ ticks. */
export interface CpuTimes {
  /** Ticks spent doing work (everything but idle and iowait). */
  busy: number;
  /** All ticks (busy + idle + iowait). */
  total: number;
  /** How many CPUs the kernel lists (cpu0, cpu1, ...): the cores online now. */
  cpus: number;
}

/**
 * The first "cpu " line of /proc/stat. guest and guest_nice are left out of the total
 * because the kernel already counts them in user and nice.
 */
export function parseProcStat(text: string): CpuTimes | undefined {
  if (!text.startsWith('cpu ')) return undefined;
  let end = text.indexOf('\n');
  if (end < 0) end = text.length;
  const fields = text.slice(4, end).trim().split(/\s+/).map(Number);
  if (fields.length < 4 || fields.some((n) => !Number.isFinite(n))) return undefined;
  const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const idleAll = idle + iowait;
  const total = user + nice + system + idleAll + irq + softirq + steal;
  let cpus = 0;
  for (let i = text.indexOf('\ncpu'); i >= 0; i = text.indexOf('\ncpu', i + 4)) {
    const c = text.charCodeAt(i + 4);
    if (c >= 48 && c <= 57) cpus++;
  }
  return { busy: total - idleAll, total, cpus: Math.max(cpus, 1) };
}
