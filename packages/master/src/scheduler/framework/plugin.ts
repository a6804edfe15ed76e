import type { Pod } from '@orchard/api';
import type { Status } from './status';
import type { ClusterSnapshot, NodeInfo } from './types';

/**
 * Returned by a PreFilter when the plugin has nothing to check for this pod (no host ports,
 * no affinity...): the framework then leaves the plugin out of the per-node loop entirely,
 * which is most of what keeps a 1,000-node cycle fast.
 */
export const SKIP: unique symbol = Symbol('skip');
export type Skip = typeof SKIP;

/** What a plugin may read besides the pod and the node: the whole snapshot of the cycle. */
export interface CycleContext {
  readonly snapshot: ClusterSnapshot;
}

/**
 * A filter rejects nodes the pod cannot run on. `preFilter` runs once per scheduling cycle and
 * computes whatever the per-node `filter` needs (parsed requests, compiled selectors, counts
 * over the cluster); its result is handed back to `filter` as `state`.
 */
export interface FilterPlugin<S = undefined> {
  readonly name: string;
  preFilter?(pod: Pod, ctx: CycleContext): S | Skip;
  /**
   * Must not throw and should not allocate when the node fits. `index` is the node's
   * position in snapshot.nodes, for per-node values kept in a NodeColumn.
   */
  filter(state: S, pod: Pod, nodeInfo: NodeInfo, index: number): Status;
}

/**
 * A score ranks the nodes that passed every filter, 0 (worst) .. 100 (best). When `normalize`
 * is present, `score` may return raw values (a count, a sum of weights) and `normalize`
 * rewrites them into 0..100 in place once every feasible node is scored.
 */
export interface ScorePlugin<S = undefined> {
  readonly name: string;
  preScore?(pod: Pod, ctx: CycleContext): S | Skip;
  /** `index` is the node's position in snapshot.nodes, as for filters. */
  score(state: S, pod: Pod, nodeInfo: NodeInfo, index: number): number;
  normalize?(state: S, scores: Float64Array, count: number): void;
}

/** A score plugin and how much it counts in the weighted sum. */
export interface WeightedScore {
  // Plugins differ in their state type; the framework only hands each its own state back.
  readonly plugin: ScorePlugin<any>;
  readonly weight: number;
}

export type AnyFilterPlugin = FilterPlugin<any>;
export type AnyScorePlugin = ScorePlugin<any>;

/** Kubernetes' DefaultNormalizeScore: scale so the highest raw score becomes 100 (or 0 when reversed). */
export function normalizeToMax(scores: Float64Array, count: number, reverse: boolean): void {
  let max = 0;
  for (let i = 0; i < count; i++) if (scores[i]! > max) max = scores[i]!;
  if (max === 0) {
    if (reverse) for (let i = 0; i < count; i++) scores[i] = 100;
    return;
  }
  for (let i = 0; i < count; i++) {
    const s = (scores[i]! * 100) / max;
    scores[i] = reverse ? 100 - s : s;
  }
}
