import type { Pod } from '@orchard/api';
import type { AnyFilterPlugin, AnyScorePlugin } from './plugin';
import { SKIP } from './plugin';
import type { Status } from './status';
import { SUCCESS } from './status';
import type { ClusterSnapshot, NodeInfo } from './types';

/**
 * Runs one filter plugin for one pod and node the way findPlacement does (PreFilter, then
 * Filter unless skipped). For tests and for explaining a single decision.
 */
export function runFilter(plugin: AnyFilterPlugin, pod: Pod, nodeInfo: NodeInfo, snapshot?: ClusterSnapshot): Status {
  const ctx = { snapshot: snapshot ?? { nodes: [nodeInfo] } };
  const index = ctx.snapshot.nodes.indexOf(nodeInfo);
  if (index < 0) throw new Error(`node ${nodeInfo.node.metadata?.name} is not in the snapshot`);
  const state = plugin.preFilter ? plugin.preFilter(pod, ctx) : undefined;
  return state === SKIP ? SUCCESS : plugin.filter(state, pod, nodeInfo, index);
}

/**
 * Runs one score plugin over the given nodes the way findPlacement does (PreScore, Score,
 * NormalizeScore) and returns the final score per node; a skipped plugin scores every node 0.
 */
export function runScore(plugin: AnyScorePlugin, pod: Pod, nodes: readonly NodeInfo[], snapshot?: ClusterSnapshot): number[] {
  const ctx = { snapshot: snapshot ?? { nodes } };
  const state = plugin.preScore ? plugin.preScore(pod, ctx) : undefined;
  if (state === SKIP) return nodes.map(() => 0);
  const scores = new Float64Array(nodes.length);
  nodes.forEach((n, i) => (scores[i] = plugin.score(state, pod, n, i)));
  plugin.normalize?.(state, scores, nodes.length);
  return [...scores];
}
