import {
  ApiObject,
  ConflictError,
  InvalidError,
  NamespaceStatus,
  ObjectMeta,
  cloneObject,
  kindOf,
  metaOf,
  rfc3339,
  unwrap,
  validateConfigUpdate,
  type Clock,
} from '@orchard/api';
import type { IdSource } from '../ids';
import { PINNED_NODE_ANNOTATION } from '../nodes/pinned-pods';

/** What applying one object did. */
export type ApplyAction = 'created' | 'configured' | 'unchanged';

export interface MergeResult {
  readonly object: ApiObject;
  readonly action: ApplyAction;
}

/**
 * Computes the object to store when `incoming` (defaulted and validated) is applied over
 * `stored` (undefined: it does not exist yet). Apply semantics: the user-settable parts
 * replace the stored ones; status and the fields the server owns (uid, creationTimestamp,
 * resourceVersion, generation, deletion marks) are kept; generation grows when the spec
 * changes; an apply that changes nothing is `unchanged`.
 * @throws InvalidError when the change is not allowed (a bound pod moved to another node).
 */
export function mergeForApply(stored: ApiObject | undefined, incoming: ApiObject, ids: IdSource, clock: Clock): MergeResult {
  const next = cloneObject(incoming);
  const o = unwrap(next);
  const meta = (o.metadata ??= ObjectMeta.fromPartial({}));
  if (!stored) {
    meta.uid = ids.uuid();
    meta.creationTimestamp = rfc3339(clock.now());
    meta.resourceVersion = '';
    meta.generation = 1;
    meta.deletionTimestamp = '';
    meta.deletionGracePeriodSeconds = undefined;
    resetStatus(next);
    // The user placed this pod by hand: the node lifecycle must never move it elsewhere.
    if (next.resource?.$case === 'pod' && next.resource.pod.spec?.nodeName) {
      meta.annotations = { ...meta.annotations, [PINNED_NODE_ANNOTATION]: next.resource.pod.spec.nodeName };
    }
    return { object: next, action: 'created' };
  }

  const old = unwrap(stored);
  const oldMeta = metaOf(stored);
  // An object read, changed and applied back (cordon, label) carries the version it was
  // read at: applying it over a newer one would undo someone else's write.
  if (meta.resourceVersion && meta.resourceVersion !== oldMeta.resourceVersion) {
    throw new ConflictError(kindOf(stored).plural, meta.name);
  }
  const pinned = oldMeta.annotations[PINNED_NODE_ANNOTATION];
  if (pinned !== undefined) meta.annotations = { ...meta.annotations, [PINNED_NODE_ANNOTATION]: pinned };
  meta.uid = oldMeta.uid;
  meta.creationTimestamp = oldMeta.creationTimestamp;
  meta.resourceVersion = oldMeta.resourceVersion;
  meta.deletionTimestamp = oldMeta.deletionTimestamp;
  meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
  meta.generation = oldMeta.generation;
  (o as { status?: unknown }).status = (old as { status?: unknown }).status;

  if (next.resource?.$case === 'pod' && stored.resource?.$case === 'pod') {
    const spec = next.resource.pod.spec;
    const boundTo = stored.resource.pod.spec?.nodeName ?? '';
    if (spec && boundTo) {
      // A manifest says nothing about placement; re-applying it keeps the binding.
      if (!spec.nodeName) spec.nodeName = boundTo;
      else if (spec.nodeName !== boundTo) {
        throw new InvalidError('Pod', meta.name, [
          { field: 'spec.nodeName', type: 'Forbidden', detail: `pod is already bound to node "${boundTo}"; delete it and create it again to move it` },
        ]);
      }
    }
  }

  // An immutable ConfigMap or Secret keeps its data: refused before anything is written.
  validateConfigUpdate(stored, next);

  if (canonical(specOf(next)) !== canonical(specOf(stored))) meta.generation = (oldMeta.generation || 1) + 1;
  if (canonical(next) === canonical(stored)) {
    return { object: stored, action: 'unchanged' };
  }
  return { object: next, action: 'configured' };
}

/** Status is the server's and the agents' to write; a created object starts from the initial one. */
function resetStatus(obj: ApiObject): void {
  switch (obj.resource?.$case) {
    case 'pod':
      obj.resource.pod.status = undefined;
      break;
    case 'namespace':
      obj.resource.namespace.status = NamespaceStatus.fromPartial({ phase: 'Active' });
      break;
    case 'node':
      // A node registered by hand has no status until its agent connects.
      obj.resource.node.status = undefined;
      break;
  }
}

/** The object without metadata and status: what `generation` counts changes of. */
function specOf(obj: ApiObject): ApiObject {
  const c = cloneObject(obj);
  const o = unwrap(c) as { metadata?: unknown; status?: unknown };
  o.metadata = undefined;
  o.status = undefined;
  return c;
}

/**
 * A comparable form of an object: its proto3 JSON with map keys sorted, so that labels
 * written in another order are the same object (protobuf bytes keep insertion order).
 */
function canonical(obj: ApiObject): string {
  return JSON.stringify(ApiObject.toJSON(obj), (_key, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}
