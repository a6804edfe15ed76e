import type { CpuSource, MemorySource } from './container-cgroup';
import type { ReadOnlyFs } from './read-only-fs';
import { parseCount, statValue } from './stat-text';

/**
 * Memory working set as kubelet and cAdvisor compute it: usage minus the inactive file
 * cache (pages the kernel can drop at once), floored at 0. `docker stats` shows the same.
 */
export function workingSetBytes(usage: number, inactiveFile: number | undefined): number {
  if (inactiveFile === undefined) return usage;
  return usage > inactiveFile ? usage - inactiveFile : 0;
}

/** A cgroup's cumulative CPU time in nanoseconds, or undefined when it cannot be read. */
export function readCpuUsageNs(fs: ReadOnlyFs, src: CpuSource): number | undefined {
  if (src.version === 1) {
    const text = fs.readText(src.usageFile);
    return text === undefined ? undefined : parseCount(text);
  }
  const text = fs.readText(src.statFile);
  const usec = text === undefined ? undefined : statValue(text, 'usage_usec');
  return usec === undefined ? undefined : usec * 1000;
}

/**
 * A cgroup's memory working set in bytes, or undefined when it cannot be read.
 * v1 takes total_inactive_file (hierarchical, as cAdvisor does), v2 inactive_file.
 */
export function readWorkingSetBytes(fs: ReadOnlyFs, src: MemorySource): number | undefined {
  const usageText = fs.readText(src.version === 1 ? src.usageFile : src.currentFile);
  const usage = usageText === undefined ? undefined : parseCount(usageText);
  if (usage === undefined) return undefined;
  const stat = fs.readText(src.statFile);
  const inactive = stat === undefined ? undefined : statValue(stat, src.version === 1 ? 'total_inactive_file' : 'inactive_file');
  return workingSetBytes(usage, inactive);
}
