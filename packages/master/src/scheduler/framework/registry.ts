import type { AnyFilterPlugin, AnyScorePlugin } from './plugin';
import { nodeName } from '../plugins/node-name/node-name';
import { nodeReady } from '../plugins/node-ready/node-ready';
import { nodeResourcesFit } from '../plugins/node-resources-fit/node-resources-fit';
import { nodeResourcesLeastAllocated } from '../plugins/node-resources-least-allocated/node-resources-least-allocated';
import { nodeResourcesMostAllocated } from '../plugins/node-resources-most-allocated/node-resources-most-allocated';
import { nodeUnschedulable } from '../plugins/node-unschedulable/node-unschedulable';

/**
 * Every filter, in the order a node meets them. A node stops at its first failing filter and
 * that filter's reason is what the message counts, so the order is both a cost and a wording
 * choice:
 */
export const FILTERS: readonly AnyFilterPlugin[] = [
  // Health and intent of the node first: a node that is down or cordoned is out no matter
  // what the pod asks, and saying so is more useful than "Insufficient cpu".
  nodeReady(),
  nodeUnschedulable(),
  // Then what the pod asks for by name: one string comparison rules out all other nodes.
  nodeName(),
  // Resources last among the per-node checks: cheap, but the reason users most expect to see
  // only once the node is otherwise eligible.
  nodeResourcesFit(),
];

/** Every score plugin by name; profiles choose among them and weigh them. */
export const SCORES = {
  // Spread load (default) or pack it (bin-packing); never both in one profile.
  NodeResourcesLeastAllocated: nodeResourcesLeastAllocated(),
  NodeResourcesMostAllocated: nodeResourcesMostAllocated(),
} satisfies Record<string, AnyScorePlugin>;
