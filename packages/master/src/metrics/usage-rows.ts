import {
  UsageRow,
  parseCpuMillis,
  parseMemoryBytes,
  selectorMatches,
  type LabelSelectorParsed,
  type Node,
  type Pod,
  type UsageReport,
} from '@orchard/api';

/**
 * One row per node object, usage filled in from the node's report when there is one; a
 * node without a report gets a row with no timestamp (the CLI prints `<unknown>`, as
 * kubectl top does for a node without metrics).
 */
export function nodeRows(nodes: readonly Node[], reports: ReadonlyMap<string, UsageReport>, selector: LabelSelectorParsed, name: string): UsageRow[] {
  const rows: UsageRow[] = [];
  for (const n of nodes) {
    const meta = n.metadata;
    if (!meta || (name && meta.name !== name) || !selectorMatches(selector, meta.labels)) continue;
    const usage = reports.get(meta.name)?.node;
    const alloc = n.status?.allocatable ?? {};
    rows.push(
      UsageRow.fromPartial({
        name: meta.name,
        cpuCores: usage?.cpuCores ?? 0,
        memoryWorkingSetBytes: usage?.memoryWorkingSetBytes ?? 0,
        timestamp: usage?.timestamp ?? '',
        allocatableCpuMillis: quantityOr0(alloc.cpu, parseCpuMillis),
        allocatableMemoryBytes: quantityOr0(alloc.memory, parseMemoryBytes),
      }),
    );
  }
  return rows.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * One row per pod that has usage and still exists (matched by uid, so a pod deleted and
 * re-created under its name does not inherit the old one's figures), filtered by the pod
 * objects given (the caller lists them by namespace) and the label selector.
 */
export function podRows(pods: readonly Pod[], reports: Iterable<UsageReport>, selector: LabelSelectorParsed, name: string): UsageRow[] {
  const byUid = new Map<string, Pod>();
  for (const p of pods) {
    const meta = p.metadata;
    if (!meta || (name && meta.name !== name) || !selectorMatches(selector, meta.labels)) continue;
    byUid.set(meta.uid, p);
  }
  const rows: UsageRow[] = [];
  for (const report of reports) {
    for (const pu of report.pods) {
      if (!byUid.has(pu.uid) || !pu.usage) continue;
      rows.push(
        UsageRow.fromPartial({
          namespace: pu.namespace,
          name: pu.name,
          cpuCores: pu.usage.cpuCores,
          memoryWorkingSetBytes: pu.usage.memoryWorkingSetBytes,
          timestamp: pu.usage.timestamp,
          containers: pu.containers
            .filter((c) => c.usage)
            .map((c) => ({ name: c.name, cpuCores: c.usage!.cpuCores, memoryWorkingSetBytes: c.usage!.memoryWorkingSetBytes }))
            .sort((a, b) => a.name.localeCompare(b.name)),
        }),
      );
    }
  }
  return rows.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

/**
 * Merges the rows of several masters (each holds the reports of the agents connected to
 * it): one row per namespace/name, the newest timestamp wins, so a node that just moved
 * from one master to another shows its latest figures and a node without metrics on one
 * master takes the figures another holds.
 */
export function mergeRows(lists: Iterable<readonly UsageRow[]>): UsageRow[] {
  const newest = new Map<string, UsageRow>();
  for (const list of lists) {
    for (const r of list) {
      const key = `${r.namespace}/${r.name}`;
      const cur = newest.get(key);
      if (!cur || timeOf(r) > timeOf(cur)) newest.set(key, r);
    }
  }
  return [...newest.values()].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

function timeOf(r: UsageRow): number {
  const t = Date.parse(r.timestamp);
  return Number.isNaN(t) ? -1 : t;
}

function quantityOr0(s: string | undefined, parse: (s: string) => number): number {
  if (!s) return 0;
  try {
    return Math.round(parse(s));
  } catch {
    return 0;
  }
}
