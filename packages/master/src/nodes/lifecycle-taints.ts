import { Taint, rfc3339, type Node } from '@orchard/api';
import { findCondition } from './conditions';

/** The taint of a node whose agent went silent (Ready=Unknown), as in Kubernetes. */
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
/** The taint of a node whose agent reports it is not ready (Ready=False). */
export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';

/** True for the NoExecute taints the node lifecycle owns (added and removed by it alone). */
export function isLifecycleTaint(t: Pick<Taint, 'key' | 'effect'>): boolean {
  return t.effect === 'NoExecute' && (t.key === TAINT_UNREACHABLE || t.key === TAINT_NOT_READY);
}

/**
 * The taints a node should carry given its Ready condition: the user's taints unchanged,
 * plus `unreachable:NoExecute` while Ready is Unknown (or missing after having been set)
 * or `not-ready:NoExecute` while it is False; neither while it is True. A lifecycle taint
 * already present keeps its timeAdded, which is when eviction timing starts.
 * @returns the new taint list, or undefined when the node's taints are already right.
 */
export function lifecycleTaintsFor(node: Node, nowMs: number): Taint[] | undefined {
  const taints = node.spec?.taints ?? [];
  const ready = findCondition(node.status?.conditions, 'Ready');
  // A node registered by hand that never had an agent has no Ready condition: nothing to evict.
  if (!ready) return undefined;
  const wanted = ready.status === 'True' ? undefined : ready.status === 'False' ? TAINT_NOT_READY : TAINT_UNREACHABLE;
  const current = taints.filter(isLifecycleTaint);
  if (current.length === (wanted ? 1 : 0) && (!wanted || current[0]!.key === wanted)) return undefined;
  const kept = taints.filter((t) => !isLifecycleTaint(t));
  if (!wanted) return kept;
  return [...kept, Taint.fromPartial({ key: wanted, effect: 'NoExecute', timeAdded: rfc3339(nowMs) })];
}
