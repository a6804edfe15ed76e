import type { Pod, WeightedPodAffinityTerm } from '@orchard/api';
import type { CycleContext, ScorePlugin } from '../../framework/plugin';
import { SKIP } from '../../framework/plugin';
import { PodCounter } from '../../framework/pod-counter';
import { topologyValue } from '../../framework/topology';
import { Name } from './inter-pod-affinity';

/** One preferred term with, per domain, its weight times the pods it selects there. */
interface WeightedDomains {
  readonly topologyKey: string;
  readonly byDomain: ReadonlyMap<string, number>;
}

function weigh(terms: readonly WeightedPodAffinityTerm[], sign: number, pod: Pod, ctx: CycleContext): WeightedDomains[] {
  const nodes = ctx.snapshot.nodes;
  const ns = pod.metadata?.namespace ?? '';
  const out: WeightedDomains[] = [];
  for (const { weight, podAffinityTerm: term } of terms) {
    if (!term || weight === 0) continue;
    const counter = new PodCounter(term.labelSelector, term.namespaces.length > 0 ? term.namespaces : [ns], nodes);
    const byDomain = new Map<string, number>();
    for (let i = 0; i < nodes.length; i++) {
      const value = topologyValue(nodes[i]!.node, term.topologyKey);
      if (value === undefined) continue;
      const n = counter.count(i, nodes[i]!);
      if (n > 0) byDomain.set(value, (byDomain.get(value) ?? 0) + sign * weight * n);
    }
    out.push({ topologyKey: term.topologyKey, byDomain });
  }
  return out;
}

/**
 * The pod's preferred affinity (toward domains with the selected pods) and preferred
 * anti-affinity (away from them), as Kubernetes' InterPodAffinity score: the raw score is the
 * weighted count of selected pods in the node's domains, anti-affinity counting negative,
 * scaled so the lowest node scores 0 and the highest 100.
 */
export function interPodAffinityScore(): ScorePlugin<readonly WeightedDomains[]> {
  return {
    name: Name,
    preScore: (pod, ctx) => {
      const affinity = pod.spec?.affinity;
      const terms = [
        ...weigh(affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [], 1, pod, ctx),
        ...weigh(affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [], -1, pod, ctx),
      ];
      return terms.length > 0 ? terms : SKIP;
    },
    score: (terms, _pod, nodeInfo) => {
      let sum = 0;
      for (let t = 0; t < terms.length; t++) {
        const value = topologyValue(nodeInfo.node, terms[t]!.topologyKey);
        if (value !== undefined) sum += terms[t]!.byDomain.get(value) ?? 0;
      }
      return sum;
    },
    normalize: (_state, scores, count) => {
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < count; i++) {
        if (scores[i]! < min) min = scores[i]!;
        if (scores[i]! > max) max = scores[i]!;
      }
      for (let i = 0; i < count; i++) scores[i] = max === min ? 0 : (100 * (scores[i]! - min)) / (max - min);
    },
  };
}
