import { ConflictError, NotFoundError, kindByCase, metaOf, type ApiObject, type Clock, type Logger } from '@orchard/api';
import type { IdSource } from '../ids';
import type { ObjectStore } from '../store/object-store';
import { PINNED_NODE_ANNOTATION } from './pinned-pods';
import { evictedCopy, hasController } from './pod-eviction';

/**
 * What becomes of the pods bound to a node that was deleted: no agent will ever run or
 * stop them there. A bare pod is rescheduled like an evicted one (unbound, new uid); a pod
 * a controller owns, one the user pinned to that node, or one already being deleted is
 * deleted, as Kubernetes' pod garbage collector does with pods of a vanished node.
 * @returns how many pods were moved and deleted.
 */
export async function releasePodsOfDeletedNode(
  deps: { store: ObjectStore; ids: IdSource; clock: Clock; log: Logger },
  nodeName: string,
): Promise<{ moved: number; deleted: number }> {
  const { store, ids, clock, log } = deps;
  const kind = kindByCase('pod');
  const { items } = await store.list(kind);
  let moved = 0;
  let deleted = 0;
  for (const o of items) {
    if (o.resource?.$case !== 'pod' || o.resource.pod.spec?.nodeName !== nodeName) continue;
    const m = metaOf(o);
    try {
      if (drop(o)) {
        await store.commit([{ type: 'delete', kind, namespace: m.namespace, name: m.name, resourceVersion: m.resourceVersion }]);
        deleted++;
      } else {
        await store.commit([{ type: 'update', object: evictedCopy(o, ids.uuid(), `Node ${nodeName} was deleted; rescheduling`, clock.now()) }]);
        moved++;
      }
    } catch (err) {
      // Changed or gone meanwhile: whoever wrote it decided its fate.
      if (err instanceof ConflictError || err instanceof NotFoundError) continue;
      throw new Error(`failed to release pod ${m.namespace}/${m.name} of deleted node ${nodeName}: ${(err as Error).message}`, { cause: err });
    }
  }
  if (moved + deleted > 0) log.info({ node: nodeName, moved, deleted }, 'pods of a deleted node released');
  return { moved, deleted };
}

function drop(pod: ApiObject): boolean {
  const m = metaOf(pod);
  return Boolean(m.deletionTimestamp) || hasController(pod) || m.annotations[PINNED_NODE_ANNOTATION] !== undefined;
}
