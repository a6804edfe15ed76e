import type { FilterPlugin } from '../../framework/plugin';
import { SKIP } from '../../framework/plugin';
import { SUCCESS, unschedulable } from '../../framework/status';

export const Name = 'NodeName';

/** Kubernetes' ErrReason of the NodeName plugin. */
export const ErrReason = "node(s) didn't match the requested node name";

const MISMATCH = unschedulable(ErrReason);

/** When spec.nodeName is set, only that node fits. */
export function nodeName(): FilterPlugin<string> {
  return {
    name: Name,
    preFilter: (pod) => pod.spec?.nodeName || SKIP,
    filter: (wanted, _pod, nodeInfo) => (nodeInfo.node.metadata?.name === wanted ? SUCCESS : MISMATCH),
  };
}
