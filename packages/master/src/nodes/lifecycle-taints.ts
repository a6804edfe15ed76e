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

/** Every taint the node lifecycle owns: the NoExecute ones and `not-ready:NoSchedule`. */
function isOwnedTaint(t: Pick<Taint, 'key' | 'effect'>): boolean {
  return isLifecycleTaint(t) || (t.key === TAINT_NOT_READY && t.effect === 'NoSchedule');
}

/**
 * The taints a node should carry given its Ready condition: the user's taints unchanged,
 * plus `unreachable:NoExecute` while Ready is Unknown (or missing after having been set),
 * or `not-ready:NoSchedule` and `not-ready:NoExecute` while it is False (the agent says
 * its container runtime is down; as Kubernetes' TaintNodesByCondition and taint-based
 * eviction do, the NoExecute one evicting after the toleration, rate-limited); none
 * while it is True. A lifecycle taint already present keeps its timeAdded, which is when
 * eviction timing starts.
 * @returns the new taint list, or undefined when the node's taints are already right.
 */
export function lifecycleTaintsFor(node: Node, nowMs: number): Taint[] | undefined {
  const taints = node.spec?.taints ?? [];
  const ready = findCondition(node.status?.conditions, 'Ready');
  // A node registered by hand that never had an agent has no Ready condition: nothing to evict.
  if (!ready) return undefined;
  const wanted: Array<Pick<Taint, 'key' | 'effect'>> =
    ready.status === 'True'
      ? []
      : ready.status === 'False'
        ? [
            { key: TAINT_NOT_READY, effect: 'NoSchedule' },
            { key: TAINT_NOT_READY, effect: 'NoExecute' },
          ]
        : [{ key: TAINT_UNREACHABLE, effect: 'NoExecute' }];
  const current = taints.filter(isOwnedTaint);
  const same = (a: Pick<Taint, 'key' | 'effect'>, b: Pick<Taint, 'key' | 'effect'>) => a.key === b.key && a.effect === b.effect;
  if (current.length === wanted.length && wanted.every((w) => current.some((c) => same(c, w)))) return undefined;
  const kept = taints.filter((t) => !isOwnedTaint(t));
  const timeAdded = rfc3339(nowMs);
  // A wanted taint already there keeps its timeAdded.
  return [...kept, ...wanted.map((w) => current.find((c) => same(c, w)) ?? Taint.fromPartial({ ...w, timeAdded }))];
}
