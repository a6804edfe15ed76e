import {
  NotFoundError,
  PodStatus,
  kindByCase,
  metaOf,
  rfc3339,
  unwrap,
  type ApiObject,
  type Clock,
  type Logger,
  type Taint,
} from '@orchard/api';
import type { IdSource } from '../ids';
import type { Fence } from '../store/fence';
import { GuardFailedError, type KeyGuard, type ObjectStore } from '../store/object-store';
import { TAINT_UNREACHABLE } from './lifecycle-taints';
import { NODE_LEASES_PREFIX } from './node-lease';

/** Reason of the condition an evicted pod carries, as Kubernetes' taint manager writes it. */
export const EVICTED_REASON = 'DeletionByTaintManager';

/** Moves one pod off its node. */
export interface PodEvictor {
  /**
   * Evicts `pod` (as cached) from `nodeName` because of `taint`; does nothing when the
   * stored pod is another one (uid) or no longer on that node.
   */
  evict(pod: ApiObject, nodeName: string, taint: Taint): Promise<void>;
}

/** True when a controller owns the pod (it replaces the pod itself once it is deleted). */
export function hasController(pod: ApiObject): boolean {
  return metaOf(pod).ownerReferences.some((r) => r.controller);
}

/**
 * The pod as Orchard replaces a bare pod (no controller) after eviction: the same name
 * and spec, unbound (spec.nodeName cleared), a new uid, a fresh Pending status saying why.
 * The new uid is what makes the old node drop its copy: the agent keeps only the pods
 * (by uid) the master sends it, and the master accepts status only for the current uid
 * from the node the pod is bound to.
 */
export function evictedCopy(stored: ApiObject, newUid: string, message: string, nowMs: number): ApiObject {
  const copy = stored;
  const pod = copy.resource?.$case === 'pod' ? copy.resource.pod : undefined;
  if (!pod?.spec) throw new Error('evictedCopy: not a pod');
  const meta = metaOf(copy);
  meta.uid = newUid;
  meta.generation = (meta.generation || 1) + 1;
  unwrap(copy).metadata = meta;
  pod.spec.nodeName = '';
  const now = rfc3339(nowMs);
  pod.status = PodStatus.fromPartial({
    phase: 'Pending',
    message,
    conditions: [{ type: 'DisruptionTarget', status: 'True', reason: EVICTED_REASON, message, lastTransitionTime: now }],
  });
  return copy;
}

/**
 * Evicts pods through the store, every write fenced by the leader key. A bare pod is
 * rescheduled in place (evictedCopy); a pod marked for deletion, or one a controller
 * owns, is deleted: its node cannot confirm the stop, and its controller replaces it.
 */
export class StorePodEvictor implements PodEvictor {
  constructor(
    private readonly deps: { store: ObjectStore; ids: IdSource; clock: Clock; log: Logger; fence(): Fence },
  ) {}

  async evict(cached: ApiObject, nodeName: string, taint: Taint): Promise<void> {
    const { store, ids, clock, log } = this.deps;
    const kind = kindByCase('pod');
    const m = metaOf(cached);
    const current = await store.tryGet(kind, m.namespace, m.name);
    const p = current?.resource?.$case === 'pod' ? current.resource.pod : undefined;
    if (!current || !p || metaOf(current).uid !== m.uid || p.spec?.nodeName !== nodeName) return;
    const fence = this.deps.fence();
    const key = `${m.namespace}/${m.name}`;
    // An unreachable node may have come back since the cache said otherwise: evict only
    // while it still has no lease, in the same transaction.
    const guards: KeyGuard[] = taint.key === TAINT_UNREACHABLE ? [{ key: NODE_LEASES_PREFIX + nodeName, exists: false }] : [];
    try {
      if (metaOf(current).deletionTimestamp || hasController(current)) {
        await store.commit([{ type: 'delete', kind, namespace: m.namespace, name: m.name, resourceVersion: metaOf(current).resourceVersion }], fence, guards);
        log.warn({ pod: key, node: nodeName, taint: taint.key }, 'pod evicted: deleted');
        return;
      }
      await store.commit([{ type: 'update', object: evictedCopy(current, ids.uuid(), `Evicted from node ${nodeName}: taint {${taint.key}: ${taint.value}} ${taint.effect}; rescheduling`, clock.now()) }], fence, guards);
      log.warn({ pod: key, node: nodeName, taint: taint.key }, 'pod evicted: rescheduling it');
    } catch (err) {
      if (err instanceof NotFoundError) return;
      if (err instanceof GuardFailedError) {
        log.info({ pod: key, node: nodeName }, 'node is back; pod not evicted');
        return;
      }
      throw new Error(`failed to evict pod ${key} from node ${nodeName}: ${(err as Error).message}`, { cause: err });
    }
  }
}
