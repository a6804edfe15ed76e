/** Kubernetes' message when the cluster has no node at all. */
export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

/**
 * Builds the PodScheduled=False message the way Kubernetes phrases it:
 * `0/3 nodes are available: 2 Insufficient memory, 1 node(s) didn't match Pod's node affinity/selector.`
 * Each reason is counted once per node that reported it (a node may report several, e.g.
 * both Insufficient cpu and Insufficient memory). Entries are ordered by reason text, so a
 * reason keeps its place as its count changes. Kubernetes' wording is kept entry for entry;
 * its order differs slightly: it sorts the formatted "N reason" strings, so there counts
 * lead ("1 node(s) didn't match..." before "2 Insufficient memory", "10 ..." before "2 ...").
 */
export function fitErrorMessage(numAllNodes: number, rejected: ReadonlyMap<string, readonly string[]>): string {
  if (numAllNodes === 0) return NO_NODES_AVAILABLE;
  const histogram = new Map<string, number>();
  for (const reasons of rejected.values()) {
    for (const r of reasons) histogram.set(r, (histogram.get(r) ?? 0) + 1);
  }
  const reasons = [...histogram.keys()].sort(compareText);
  const parts = reasons.map((r) => `${histogram.get(r)} ${r}`);
  return `0/${numAllNodes} nodes are available: ${parts.join(', ')}.`;
}

// By UTF-16 code units, like Go's byte order for these ASCII reasons, never by locale:
// "Insufficient memory" sorts before "node(s) ...".
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
