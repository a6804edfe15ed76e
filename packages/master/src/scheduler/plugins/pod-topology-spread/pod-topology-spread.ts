import type { Pod } from '@orchard/api';
import { compileLabelSelector } from '../../framework/label-selector';
import type { CycleContext, FilterPlugin, ScorePlugin } from '../../framework/plugin';
import type { ColumnTable } from '../../framework/node-column';
import { SKIP } from '../../framework/plugin';
import { PodCounter } from '../../framework/pod-counter';
import { SUCCESS, unschedulable } from '../../framework/status';
import { topologyColumn } from '../../framework/topology';
import { requiredNodeMatcher } from '../node-affinity/node-selector';
import { READY } from '../node-ready/node-ready';

export const Name = 'PodTopologySpread';

/** Kubernetes' reasons. */
export const ErrReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints";
export const ErrReasonNodeLabelNotMatch = ErrReasonConstraintsNotMatch + ' (missing required label)';

const SKEW = unschedulable(ErrReasonConstraintsNotMatch);
const MISSING_LABEL = unschedulable(ErrReasonNodeLabelNotMatch);

/** One constraint with the matching pods counted per domain for this cycle. */
export interface CountedConstraint {
  readonly topologyKey: string;
  /** The key's domain per node of this cycle. */
  readonly domains: ColumnTable<string | undefined>;
  readonly maxSkew: number;
  /** 1 when the pod itself matches the selector (it will add to its domain), else 0. */
  readonly selfMatch: number;
  readonly counts: ReadonlyMap<string, number>;
  /** The smallest count over the eligible domains. */
  readonly minCount: number;
}

/**
 * Counts, per domain, the pods of the pod's namespace that each constraint selects. Eligible
 * domains are those of nodes the pod could go to by its node selector and affinity, as in
 * Kubernetes, and that are Ready and not cordoned: unlike Kubernetes, a dead or drained Pi
 * with no pods does not hold the minimum at zero and so block every other node.
 */
export function countConstraints(pod: Pod, ctx: CycleContext, whenUnsatisfiable: string): CountedConstraint[] {
  const constraints = (pod.spec?.topologySpreadConstraints ?? []).filter((c) => c.whenUnsatisfiable === whenUnsatisfiable);
  if (constraints.length === 0) return [];
  const eligible = requiredNodeMatcher(pod);
  const ns = pod.metadata?.namespace ?? '';
  const nodes = ctx.snapshot.nodes;
  const ready = READY.of(nodes);
  return constraints.map((c) => {
    const counter = new PodCounter(c.labelSelector, [ns], nodes);
    const domains = topologyColumn(c.topologyKey).of(nodes);
    const counts = new Map<string, number>();
    for (let i = 0; i < nodes.length; i++) {
      const ni = nodes[i]!;
      if (!ready.get(i, ni) || ni.node.spec?.unschedulable || (eligible && !eligible(ni.node))) continue;
      const value = domains.get(i, ni);
      if (value === undefined) continue;
      counts.set(value, (counts.get(value) ?? 0) + counter.count(i, ni));
    }
    let minCount = Infinity;
    for (const n of counts.values()) if (n < minCount) minCount = n;
    return {
      topologyKey: c.topologyKey,
      domains,
      maxSkew: c.maxSkew > 0 ? c.maxSkew : 1,
      selfMatch: compileLabelSelector(c.labelSelector)(pod.metadata?.labels) ? 1 : 0,
      counts,
      minCount: minCount === Infinity ? 0 : minCount,
    };
  });
}

/** DoNotSchedule constraints: placing the pod must not make any domain exceed maxSkew over the emptiest. */
export function podTopologySpreadFilter(): FilterPlugin<readonly CountedConstraint[]> {
  return {
    name: Name,
    preFilter: (pod, ctx) => {
      const counted = countConstraints(pod, ctx, 'DoNotSchedule');
      return counted.length > 0 ? counted : SKIP;
    },
    filter: (constraints, _pod, nodeInfo, index) => {
      for (let i = 0; i < constraints.length; i++) {
        const c = constraints[i]!;
        const value = c.domains.get(index, nodeInfo);
        if (value === undefined) return MISSING_LABEL;
        if ((c.counts.get(value) ?? 0) + c.selfMatch - c.minCount > c.maxSkew) return SKEW;
      }
      return SUCCESS;
    },
  };
}

/**
 * ScheduleAnyway constraints as a preference: the raw score is the number of selected pods in
 * the node's domains (lower is better), normalized so the emptiest node scores 100 and the
 * fullest 0; a node missing a topology label scores 0.
 */
export function podTopologySpreadScore(): ScorePlugin<readonly CountedConstraint[]> {
  return {
    name: Name,
    preScore: (pod, ctx) => {
      const counted = countConstraints(pod, ctx, 'ScheduleAnyway');
      return counted.length > 0 ? counted : SKIP;
    },
    score: (constraints, _pod, nodeInfo, index) => {
      let sum = 0;
      for (let i = 0; i < constraints.length; i++) {
        const c = constraints[i]!;
        const value = c.domains.get(index, nodeInfo);
        if (value === undefined) return -1;
        sum += c.counts.get(value) ?? 0;
      }
      return sum;
    },
    normalize: (_state, scores, count) => {
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < count; i++) {
        const s = scores[i]!;
        if (s < 0) continue;
        if (s < min) min = s;
        if (s > max) max = s;
      }
      for (let i = 0; i < count; i++) {
        const s = scores[i]!;
        scores[i] = s < 0 ? 0 : max === min ? 100 : (100 * (max - s)) / (max - min);
      }
    },
  };
}
