import type { ReadOnlyFs } from './read-only-fs';
import { meminfoBytes, parseProcStat, type CpuTimes } from './stat-text';

/** The node's cumulative CPU times from /proc/stat, or undefined when unreadable. */
export function readNodeCpuTimes(fs: ReadOnlyFs): CpuTimes | undefined {
  const text = fs.readText('/proc/stat');
  return text === undefined ? undefined : parseProcStat(text);
}

/**
 * The node's memory in use, MemTotal − MemAvailable: what cannot be reclaimed without
 * swapping, the node-level counterpart of a cgroup's working set.
 */
export function readNodeWorkingSetBytes(fs: ReadOnlyFs): number | undefined {
  const text = fs.readText('/proc/meminfo');
  if (text === undefined) return undefined;
  const total = meminfoBytes(text, 'MemTotal');
  const available = meminfoBytes(text, 'MemAvailable');
  if (total === undefined || available === undefined) return undefined;
  return Math.max(0, total - available);
}

/**
 * Cores in use between two /proc/stat readings: the busy share of all ticks times the
 * CPUs online. A ratio of ticks needs neither USER_HZ nor the wall clock.
 */
export function nodeCoresBetween(prev: CpuTimes, next: CpuTimes): number | undefined {
  const total = next.total - prev.total;
  const busy = next.busy - prev.busy;
  if (total <= 0 || busy < 0) return undefined;
  return (busy / total) * next.cpus;
}
