import type { ApiObject } from '@orchard/api';
import { metaOf } from '@orchard/api';

/**
 * Set by the API on a pod whose manifest named its node (spec.nodeName) when it was
 * created: the user placed it there on purpose, so the node lifecycle never moves it
 * elsewhere. Its value is the node's name.
 */
export const PINNED_NODE_ANNOTATION = 'orchard.io/pinned-node';

/**
 * True for pods that belong on their node by design and are never evicted to another:
 * pinned by the user (see PINNED_NODE_ANNOTATION) or owned by a DaemonSet.
 */
export function staysOnNode(pod: ApiObject): boolean {
  const m = metaOf(pod);
  if (m.annotations[PINNED_NODE_ANNOTATION]) return true;
  return m.ownerReferences.some((r) => r.controller && r.kind === 'DaemonSet');
}
