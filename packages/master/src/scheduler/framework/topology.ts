import type { Node } from '@orchard/api';
import { NodeColumn } from './node-column';

/** The well-known label naming a node's host; every node is its own domain under it. */
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

/**
 * The node's value for a topology key, or undefined when it has none. A node that lacks the
 * hostname label still has a host: its name, which is what the label would say.
 */
export function topologyValue(node: Node, key: string): string | undefined {
  const labels = node.metadata?.labels;
  if (labels && Object.hasOwn(labels, key)) return labels[key];
  return key === HOSTNAME_LABEL ? node.metadata?.name : undefined;
}

const columns = new Map<string, NodeColumn<string | undefined>>();

/**
 * topologyValue for one key as a NodeColumn: affinity and spread look a node's domain up
 * several times per cycle, for every node.
 */
export function topologyColumn(key: string): NodeColumn<string | undefined> {
  let column = columns.get(key);
  if (!column) {
    column = new NodeColumn((nodeInfo) => topologyValue(nodeInfo.node, key));
    columns.set(key, column);
  }
  return column;
}
