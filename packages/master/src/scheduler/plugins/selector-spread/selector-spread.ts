import type { Pod } from '@orchard/api';
import type { ScorePlugin } from '../../framework/plugin';
import { normalizeToMax, SKIP } from '../../framework/plugin';
import type { ColumnTable } from '../../framework/node-column';
import { NodeColumn } from '../../framework/node-column';

export const Name = 'SelectorSpread';

/**
 * What makes pods "the same workload": the controller that owns them (a ReplicaSet, a Job),
 * or for bare pods their namespace and exact label set. Undefined for a bare pod without
 * labels: there is nothing to spread it away from.
 */
export function spreadKey(pod: Pod): string | undefined {
  const meta = pod.metadata;
  const owner = meta?.ownerReferences?.find((o) => o.controller);
  if (owner) return `owner:${owner.uid}`;
  const labels = meta?.labels ?? {};
  const keys = Object.keys(labels);
  if (keys.length === 0) return undefined;
  keys.sort();
  return `labels:${meta?.namespace ?? ''}:${keys.map((k) => `${k}=${labels[k]}`).join(',')}`;
}

// Pods outlive snapshots; remember each one's key so a new snapshot does not redo the work.
const keyByPod = new WeakMap<Pod, string | null>();

function cachedSpreadKey(pod: Pod): string | undefined {
  let key = keyByPod.get(pod);
  if (key === undefined) keyByPod.set(pod, (key = spreadKey(pod) ?? null));
  return key ?? undefined;
}

/** Per node: how many pods of each workload it runs. */
const WORKLOAD_COUNTS = new NodeColumn((nodeInfo) => {
  const counts = new Map<string, number>();
  for (const p of nodeInfo.pods) {
    // A replica being deleted is about to leave the node; its replacement may take its place.
    if (p.metadata?.deletionTimestamp) continue;
    const key = cachedSpreadKey(p);
    if (key !== undefined) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
});

/**
 * Spreads the replicas of a workload across nodes, so that losing one Pi loses as few of them
 * as possible: the raw score is the number of the workload's pods on the node, normalized so
 * the node with the most scores 0 and nodes with none score 100.
 */
export function selectorSpread(): ScorePlugin<{ key: string; counts: ColumnTable<Map<string, number>> }> {
  return {
    name: Name,
    preScore: (pod, ctx) => {
      const key = spreadKey(pod);
      return key === undefined ? SKIP : { key, counts: WORKLOAD_COUNTS.of(ctx.snapshot.nodes) };
    },
    score: ({ key, counts }, _pod, nodeInfo, index) => counts.get(index, nodeInfo).get(key) ?? 0,
    normalize: (_state, scores, count) => normalizeToMax(scores, count, true),
  };
}
