import type { AnyFilterPlugin, WeightedScore } from './plugin';
import { FILTERS, scorePlugin } from './registry';

/** A named choice of plugins and weights, selected by a pod's spec.schedulerName. */
export interface Profile {
  readonly name: string;
  readonly filters: readonly AnyFilterPlugin[];
  readonly scores: readonly WeightedScore[];
  /**
   * How many nodes to examine before settling, as a percentage of the cluster: once that many
   * feasible nodes are found the rest are not filtered (Kubernetes' percentageOfNodesToScore).
   * 0 means adaptive like Kubernetes: 50% minus 1% per 125 nodes, at least 5% and at least
   * 100 nodes. 100 means every node.
   */
  readonly percentageOfNodesToScore: number;
}

/** Kubernetes' name for the default profile, so pods that name it explicitly keep working. */
export const DEFAULT_PROFILE = 'default-scheduler';
/** Packs pods onto the fullest nodes that fit, leaving whole Pis idle (and able to sleep). */
export const BIN_PACKING_PROFILE = 'bin-packing';

// Kubernetes' default weights where it has the plugin: taints 3, node affinity, pod
// affinity and topology spread 2, resources 1. SelectorSpread and ThermalHeadroom are
// nudges (1 each): they order otherwise comparable nodes, never overrule what the user asked.
const defaultProfile: Profile = {
  name: DEFAULT_PROFILE,
  filters: FILTERS,
  scores: [
    { plugin: scorePlugin('TaintToleration'), weight: 3 },
    { plugin: scorePlugin('NodeAffinity'), weight: 2 },
    { plugin: scorePlugin('PodTopologySpread'), weight: 2 },
    { plugin: scorePlugin('InterPodAffinity'), weight: 2 },
    { plugin: scorePlugin('NodeResourcesLeastAllocated'), weight: 1 },
    { plugin: scorePlugin('SelectorSpread'), weight: 1 },
    { plugin: scorePlugin('ThermalHeadroom'), weight: 1 },
  ],
  percentageOfNodesToScore: 0,
};

// SelectorSpread is left out on purpose: it would pull replicas apart, against packing.
// Users who want replicas apart anyway say so with topologySpreadConstraints or anti-affinity.
const binPackingProfile: Profile = {
  name: BIN_PACKING_PROFILE,
  filters: FILTERS,
  scores: [
    { plugin: scorePlugin('TaintToleration'), weight: 3 },
    { plugin: scorePlugin('NodeAffinity'), weight: 2 },
    { plugin: scorePlugin('PodTopologySpread'), weight: 2 },
    { plugin: scorePlugin('InterPodAffinity'), weight: 2 },
    { plugin: scorePlugin('NodeResourcesMostAllocated'), weight: 1 },
    { plugin: scorePlugin('ThermalHeadroom'), weight: 1 },
  ],
  // Packing needs the whole picture: the fullest node that fits may be anywhere.
  percentageOfNodesToScore: 100,
};

/** Every profile by name. */
export const PROFILES: ReadonlyMap<string, Profile> = new Map([
  [DEFAULT_PROFILE, defaultProfile],
  [BIN_PACKING_PROFILE, binPackingProfile],
]);

/** The profile a pod asks for through spec.schedulerName; empty or unknown names get the default. */
export function profileFor(schedulerName: string | undefined): Profile {
  return (schedulerName && PROFILES.get(schedulerName)) || defaultProfile;
}

/** Kubernetes' minFeasibleNodesToFind: below this many nodes, every node is examined. */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/** Kubernetes' numFeasibleNodesToFind: how many feasible nodes end the filtering early. */
export function numFeasibleNodesToFind(percentageOfNodesToScore: number, numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND || percentageOfNodesToScore >= 100) return numAllNodes;
  let pct = percentageOfNodesToScore;
  if (pct <= 0) {
    pct = 50 - Math.floor(numAllNodes / 125);
    if (pct < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) pct = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  const n = Math.floor((numAllNodes * pct) / 100);
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n;
}
