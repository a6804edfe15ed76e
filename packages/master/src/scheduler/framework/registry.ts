import type { AnyFilterPlugin, AnyScorePlugin } from './plugin';
import { interPodAffinity } from '../plugins/inter-pod-affinity/inter-pod-affinity';
import { interPodAffinityScore } from '../plugins/inter-pod-affinity/inter-pod-affinity-score';
import { nodeAffinityFilter, nodeAffinityScore } from '../plugins/node-affinity/node-affinity';
import { nodeArchitecture } from '../plugins/node-architecture/node-architecture';
import { nodeName } from '../plugins/node-name/node-name';
import { nodePorts } from '../plugins/node-ports/node-ports';
import { nodeReady } from '../plugins/node-ready/node-ready';
import { nodeResourcesFit } from '../plugins/node-resources-fit/node-resources-fit';
import { nodeResourcesLeastAllocated } from '../plugins/node-resources-least-allocated/node-resources-least-allocated';
import { nodeResourcesMostAllocated } from '../plugins/node-resources-most-allocated/node-resources-most-allocated';
import { nodeUnschedulable } from '../plugins/node-unschedulable/node-unschedulable';
import { podTopologySpreadFilter, podTopologySpreadScore } from '../plugins/pod-topology-spread/pod-topology-spread';
import { selectorSpread } from '../plugins/selector-spread/selector-spread';
import { taintTolerationFilter, taintTolerationScore } from '../plugins/taint-toleration/taint-toleration';
import { thermalHeadroom } from '../plugins/thermal-headroom/thermal-headroom';

/** A plugin as registered: its filter half, its score half, or both. */
export interface RegisteredPlugin {
  readonly name: string;
  readonly filter?: AnyFilterPlugin;
  readonly score?: AnyScorePlugin;
}

/**
 * Every plugin, in the order a node meets the filters. A node stops at its first failing
 * filter and that filter's reason is what the message counts, so the order is both a cost
 * and a wording choice. Scores are summed, so their order does not matter.
 */
export const REGISTRY: readonly RegisteredPlugin[] = [
  // Health and intent of the node first: a node that is down or cordoned is out whatever
  // the pod asks, and saying so is more useful than "Insufficient cpu".
  { name: 'NodeReady', filter: nodeReady() },
  { name: 'NodeUnschedulable', filter: nodeUnschedulable() },
  // What the pod asks for by name: one string comparison rules out all other nodes.
  { name: 'NodeName', filter: nodeName() },
  // Then the cheap per-node checks on the node object alone, as Kubernetes orders them.
  { name: 'TaintToleration', filter: taintTolerationFilter(), score: taintTolerationScore() },
  { name: 'NodeAffinity', filter: nodeAffinityFilter(), score: nodeAffinityScore() },
  // Architecture after affinity: a nodeSelector on kubernetes.io/arch says it in the user's
  // own words; this catches what the user did not think to say.
  { name: 'NodeArchitecture', filter: nodeArchitecture() },
  // Checks against the pods on the node, cheapest first.
  { name: 'NodePorts', filter: nodePorts() },
  { name: 'NodeResourcesFit', filter: nodeResourcesFit() },
  // Checks against pods across the cluster last: their PreFilter walks every pod, so they
  // are skipped outright for pods without such rules.
  { name: 'PodTopologySpread', filter: podTopologySpreadFilter(), score: podTopologySpreadScore() },
  { name: 'InterPodAffinity', filter: interPodAffinity(), score: interPodAffinityScore() },
  // Score-only plugins. Spread load (default profile) or pack it (bin-packing), never both.
  { name: 'NodeResourcesLeastAllocated', score: nodeResourcesLeastAllocated() },
  { name: 'NodeResourcesMostAllocated', score: nodeResourcesMostAllocated() },
  { name: 'SelectorSpread', score: selectorSpread() },
  { name: 'ThermalHeadroom', score: thermalHeadroom() },
];

/** The filters of the registry, in registry order. */
export const FILTERS: readonly AnyFilterPlugin[] = REGISTRY.flatMap((p) => (p.filter ? [p.filter] : []));

/** The score half of a registered plugin. @throws Error for a name that has none (a profile typo). */
export function scorePlugin(name: string): AnyScorePlugin {
  const plugin = REGISTRY.find((p) => p.name === name)?.score;
  if (!plugin) throw new Error(`no score plugin named "${name}" in the scheduler registry`);
  return plugin;
}
