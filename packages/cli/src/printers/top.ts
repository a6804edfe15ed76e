import type { UsageRow } from '@orchard/api';
import { formatTable } from './tabwriter';

const MIB = 1024 * 1024;

/** CPU in cores as kubectl top prints it: whole millicores, "250m". */
export function formatTopCpu(cores: number): string {
  return `${Math.round(cores * 1000)}m`;
}

/** Memory as kubectl top prints it: whole mebibytes, "128Mi". */
export function formatTopMemory(bytes: number): string {
  return `${Math.round(bytes / MIB)}Mi`;
}

function percent(used: number, allocatable: number): string {
  return allocatable > 0 ? `${Math.round((used / allocatable) * 100)}%` : '<unknown>';
}

/**
 * The table of `orchard top nodes`; percentages are of allocatable, as kubectl's. A node
 * that has not reported yet shows `<unknown>`.
 */
export function printTopNodes(rows: readonly UsageRow[], header = true): string {
  const lines = rows.map((r) =>
    r.timestamp
      ? [
          r.name,
          formatTopCpu(r.cpuCores),
          percent(r.cpuCores * 1000, r.allocatableCpuMillis),
          formatTopMemory(r.memoryWorkingSetBytes),
          percent(r.memoryWorkingSetBytes, r.allocatableMemoryBytes),
        ]
      : [r.name, '<unknown>', '<unknown>', '<unknown>', '<unknown>'],
  );
  return formatTable(header ? [['NAME', 'CPU(cores)', 'CPU%', 'MEMORY(bytes)', 'MEMORY%'], ...lines] : lines);
}

/** The table of `orchard top pods` (with -A a NAMESPACE column, with --containers one line per container). */
export function printTopPods(rows: readonly UsageRow[], opts: { allNamespaces?: boolean; containers?: boolean; header?: boolean }): string {
  const ns = (r: UsageRow) => (opts.allNamespaces ? [r.namespace] : []);
  const head = [...(opts.allNamespaces ? ['NAMESPACE'] : []), ...(opts.containers ? ['POD', 'NAME'] : ['NAME']), 'CPU(cores)', 'MEMORY(bytes)'];
  const lines = opts.containers
    ? rows.flatMap((r) => r.containers.map((c) => [...ns(r), r.name, c.name, formatTopCpu(c.cpuCores), formatTopMemory(c.memoryWorkingSetBytes)]))
    : rows.map((r) => [...ns(r), r.name, formatTopCpu(r.cpuCores), formatTopMemory(r.memoryWorkingSetBytes)]);
  return formatTable(opts.header === false ? lines : [head, ...lines]);
}
