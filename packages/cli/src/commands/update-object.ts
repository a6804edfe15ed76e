import { status as GrpcStatus } from '@grpc/grpc-js';
import { ApplyRequest, GetRequest, cloneObject, type ApiObject, type KindInfo, type OrchardError } from '@orchard/api';
import type { ClusterApi } from '../client';

/** Read-modify-write attempts before a busy object is given up on. */
const ATTEMPTS = 5;

/**
 * Changes one object: reads it, lets `change` edit a copy, and applies the copy with the
 * resourceVersion it was read at, so a write in between (the node's agent, another user)
 * makes the master refuse it; then it reads again and retries. `change` returns false
 * when nothing needs to change (nothing is written).
 * @returns the object as written (or as read, when unchanged) and whether it changed.
 */
export async function updateObject(
  c: ClusterApi,
  kind: KindInfo,
  namespace: string,
  name: string,
  change: (copy: ApiObject) => boolean,
): Promise<{ object: ApiObject; changed: boolean }> {
  for (let attempt = 1; ; attempt++) {
    const current = await c.get(GetRequest.fromPartial({ kind: kind.plural, namespace, name }));
    const copy = cloneObject(current);
    if (!change(copy)) return { object: current, changed: false };
    try {
      const res = await c.apply(ApplyRequest.fromPartial({ objects: [copy] }));
      return { object: res.results[0]?.object ?? copy, changed: true };
    } catch (err) {
      if ((err as OrchardError).code === GrpcStatus.ABORTED && attempt < ATTEMPTS) continue;
      throw err;
    }
  }
}
