import type { ColumnTable } from '../../framework/node-column';
import { NodeColumn } from '../../framework/node-column';
import type { FilterPlugin } from '../../framework/plugin';
import { SUCCESS, unschedulable } from '../../framework/status';
import type { NodeInfo } from '../../framework/types';

export const Name = 'NodeReady';

/** Kubernetes' reason from the days of its NodeCondition predicate. */
export const ErrReasonNotReady = 'node(s) were not ready';

const NOT_READY = unschedulable(ErrReasonNotReady);

/**
 * True when the node's Ready condition is "True". A node that reports no Ready condition yet
 * (it never completed a handshake) is not ready: a pod sent there would wait for nothing.
 */
export function nodeIsReady(nodeInfo: NodeInfo): boolean {
  const conditions = nodeInfo.node.status?.conditions;
  if (!conditions) return false;
  for (let i = 0; i < conditions.length; i++) {
    const c = conditions[i]!;
    if (c.type === 'Ready') return c.status === 'True';
  }
  return false;
}

/** Readiness per node of a snapshot, for other plugins that care (topology spread). */
export const READY = new NodeColumn(nodeIsReady);

/**
 * Never places a pod on a node that is not Ready. Kubernetes reaches the same end through the
 * node.kubernetes.io/not-ready taint; Orchard checks the condition directly, so even a pod that
 * tolerates every taint (DaemonSet-like) cannot land on a node that is down or unknown.
 */
export function nodeReady(): FilterPlugin<ColumnTable<boolean>> {
  return {
    name: Name,
    preFilter: (_pod, ctx) => READY.of(ctx.snapshot.nodes),
    filter: (ready, _pod, nodeInfo, index) => (ready.get(index, nodeInfo) ? SUCCESS : NOT_READY),
  };
}
