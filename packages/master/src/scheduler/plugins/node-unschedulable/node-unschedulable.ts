import type { Taint } from '@orchard/api';
import type { FilterPlugin } from '../../framework/plugin';
import { SKIP } from '../../framework/plugin';
import { SUCCESS, unschedulable } from '../../framework/status';
import { anyToleratesTaint } from '../taint-toleration/tolerates';

export const Name = 'NodeUnschedulable';

/** Kubernetes' ErrReasonUnschedulable. */
export const ErrReasonUnschedulable = 'node(s) were unschedulable';

/** The taint a cordoned node implies; a pod tolerating it may still go there (DaemonSets do). */
export const TaintNodeUnschedulable: Taint = {
  key: 'node.kubernetes.io/unschedulable',
  value: '',
  effect: 'NoSchedule',
  timeAdded: '',
};

const UNSCHEDULABLE = unschedulable(ErrReasonUnschedulable);

/** Rejects cordoned nodes (spec.unschedulable) unless the pod tolerates the unschedulable taint. */
export function nodeUnschedulable(): FilterPlugin<undefined> {
  return {
    name: Name,
    // A pod that tolerates cordoning is done with this plugin before the node loop starts.
    preFilter: (pod) => (anyToleratesTaint(pod.spec?.tolerations ?? [], TaintNodeUnschedulable) ? SKIP : undefined),
    filter: (_state, _pod, nodeInfo) => (nodeInfo.node.spec?.unschedulable ? UNSCHEDULABLE : SUCCESS),
  };
}
