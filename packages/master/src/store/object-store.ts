import { identityCodec, type ValueCodec } from './value-codec';
import {
  AlreadyExistsError,
  ApiObject,
  BadRequestError,
  ConflictError,
  NotFoundError,
  NotLeaderError,
  ObjectMeta,
  cloneObject,
  kindOf,
  metaOf,
  objectKey,
  unwrap,
  type KindInfo,
} from '@orchard/api';
import type { Etcd3, IKeyValue, IRequestOp, ITxnResponse } from 'etcd3';
import { fromEtcdError } from './errors';
import type { Fence } from './fence';

/** Where objects live in etcd: /orchard/registry/<objectKey>. */
export const REGISTRY_PREFIX = '/orchard/registry/';

/** etcd's default --max-txn-ops is 128: reads of many objects go in transactions of this many. */
const READS_PER_TXN = 100;

/** Names one object. */
export interface ObjectRef {
  readonly kind: KindInfo;
  readonly namespace: string;
  readonly name: string;
}

/** Preconditions of a delete: the object must still be this one. */
export interface DeletePrecondition {
  readonly uid?: string;
  readonly resourceVersion?: string;
}

/** One write of an atomic commit. */
export type WriteOp =
  /** Fails with AlreadyExistsError when the key exists. */
  | { readonly type: 'create'; readonly object: ApiObject }
  /** metadata.resourceVersion is the version the change was based on; a stale one fails with ConflictError. */
  | { readonly type: 'update'; readonly object: ApiObject }
  /** Deletes the object at exactly `resourceVersion` (the version read). */
  | { readonly type: 'delete'; readonly kind: KindInfo; readonly namespace: string; readonly name: string; readonly resourceVersion: string };

/**
 * A condition on a key outside the registry that a write also requires, in the same
 * transaction: e.g. "the node's lease key is absent" for marking a node silent.
 */
export interface KeyGuard {
  readonly key: string;
  readonly exists: boolean;
}

/** A write was refused because a KeyGuard did not hold; nothing was written. */
export class GuardFailedError extends Error {
  constructor(readonly guard: KeyGuard) {
    super(`key ${guard.key} ${guard.exists ? 'does not exist' : 'exists'}; the write was refused`);
  }
}

/** A list read at one etcd revision. */
export interface ListResult {
  readonly items: ApiObject[];
  /** The etcd revision the list was read at: a watch from revision+1 misses nothing. */
  readonly revision: string;
}

/**
 * The object store: API objects in etcd, one key each, resourceVersion = the key's
 * mod_revision. Every write is one etcd transaction that compares each key's mod_revision
 * with the version the caller read (0 = absent), so a stale write overwrites nothing; a
 * leader-only write also compares the leader key (the Fence). etcd errors are converted
 * to typed errors here and nowhere else.
 */
export class ObjectStore {
  constructor(
    private readonly etcd: Etcd3,
    private readonly prefix = REGISTRY_PREFIX,
    /** Encrypts Secrets at rest (store/value-codec.ts); every read and write goes through it. */
    readonly codec: ValueCodec = identityCodec,
  ) {}

  /** The etcd key prefix of every object of a kind, in the default registry. */
  static registryPrefix(kind: KindInfo): string {
    return `${REGISTRY_PREFIX}${kind.plural}/`;
  }

  /** The etcd key of an object. */
  keyOf(kind: KindInfo, namespace: string, name: string): string {
    return this.prefix + objectKey(kind, namespace, name);
  }

  /** The etcd key prefix of a kind (optionally one namespace of it). */
  prefixOf(kind: KindInfo, namespace?: string): string {
    return kind.namespaced && namespace ? `${this.prefix}${kind.plural}/${namespace}/` : `${this.prefix}${kind.plural}/`;
  }

  /** @throws NotFoundError */
  async get(kind: KindInfo, namespace: string, name: string): Promise<ApiObject> {
    const obj = await this.tryGet(kind, namespace, name);
    if (!obj) throw new NotFoundError(kind.plural, name);
    return obj;
  }

  async tryGet(kind: KindInfo, namespace: string, name: string): Promise<ApiObject | undefined> {
    const key = this.keyOf(kind, namespace, name);
    try {
      const res = await this.etcd.get(key).exec();
      const kv = res.kvs[0];
      return kv ? decodeKv(kv, this.codec) : undefined;
    } catch (err) {
      throw fromEtcdError(err, `get ${key}`);
    }
  }

  /**
   * Several objects in one read: one etcd transaction of range requests per
   * READS_PER_TXN objects instead of a round trip each (an Apply of 100 objects read them
   * one by one). Every object is read at the same revision within a transaction.
   * @returns per ref, the object or undefined when it does not exist.
   */
  async tryGetMany(refs: readonly ObjectRef[]): Promise<Array<ApiObject | undefined>> {
    if (refs.length === 1) return [await this.tryGet(refs[0]!.kind, refs[0]!.namespace, refs[0]!.name)];
    const keys = refs.map((r) => this.keyOf(r.kind, r.namespace, r.name));
    const chunks: Array<Promise<Array<ApiObject | undefined>>> = [];
    for (let i = 0; i < keys.length; i += READS_PER_TXN) {
      const chunk = keys.slice(i, i + READS_PER_TXN);
      chunks.push(
        this.etcd.kv
          .txn({ compare: [], success: chunk.map((k) => ({ request_range: { key: Buffer.from(k) } })), failure: [] })
          .then(
            (res) => chunk.map((_, j) => {
              const kv = res.responses[j]?.response_range?.kvs?.[0];
              return kv ? decodeKv(kv, this.codec) : undefined;
            }),
            (err: unknown) => {
              throw fromEtcdError(err, `get ${chunk[0]}${chunk.length > 1 ? ` and ${chunk.length - 1} more` : ''}`);
            },
          ),
      );
    }
    return (await Promise.all(chunks)).flat();
  }

  /** Every object of a kind (in one namespace, or all when namespace is empty), read at one revision. */
  async list(kind: KindInfo, namespace?: string): Promise<ListResult> {
    const prefix = this.prefixOf(kind, namespace);
    try {
      const res = await this.etcd.getAll().prefix(prefix).exec();
      return { items: res.kvs.map((kv) => decodeKv(kv, this.codec)), revision: res.header.revision };
    } catch (err) {
      throw fromEtcdError(err, `list ${prefix}`);
    }
  }

  /** The current etcd revision. */
  async revision(): Promise<string> {
    try {
      const res = await this.etcd.get(this.prefix).exec();
      return res.header.revision;
    } catch (err) {
      throw fromEtcdError(err, 'read revision');
    }
  }

  /** Creates an object. @throws AlreadyExistsError */
  async create(object: ApiObject, fence?: Fence): Promise<ApiObject> {
    const [created] = await this.commit([{ type: 'create', object }], fence);
    return created!;
  }

  /**
   * Replaces an object if it is still at metadata.resourceVersion.
   * @throws ConflictError when it was modified since (nothing is written), NotFoundError when it is gone.
   */
  async update(object: ApiObject, fence?: Fence): Promise<ApiObject> {
    const [updated] = await this.commit([{ type: 'update', object }], fence);
    return updated!;
  }

  /**
   * Reads the object, applies `mutate` to a copy and writes it back; retries on conflict.
   * `mutate` returns undefined when nothing needs to change (nothing is written).
   */
  async mutate(
    kind: KindInfo,
    namespace: string,
    name: string,
    mutate: (copy: ApiObject) => ApiObject | undefined,
    fence?: Fence,
    guards: readonly KeyGuard[] = [],
  ): Promise<ApiObject | undefined> {
    const attempts = 5;
    for (let i = 0; ; i++) {
      const current = await this.get(kind, namespace, name);
      const next = mutate(cloneObject(current));
      if (!next) return undefined;
      try {
        const [updated] = await this.commit([{ type: 'update', object: next }], fence, guards);
        return updated!;
      } catch (err) {
        // Someone wrote in between: read again and re-apply the change to the new state.
        if (err instanceof ConflictError && i + 1 < attempts) continue;
        throw err;
      }
    }
  }

  /**
   * Deletes an object, optionally only if it still has this uid / resourceVersion.
   * @returns the object as it was deleted.
   * @throws NotFoundError, ConflictError (precondition failed)
   */
  async delete(kind: KindInfo, namespace: string, name: string, precondition: DeletePrecondition = {}, fence?: Fence): Promise<ApiObject> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.get(kind, namespace, name);
      const meta = metaOf(current);
      if (precondition.uid && meta.uid !== precondition.uid) {
        throw new ConflictError(kind.plural, name);
      }
      if (precondition.resourceVersion && meta.resourceVersion !== precondition.resourceVersion) {
        throw new ConflictError(kind.plural, name);
      }
      try {
        await this.commit([{ type: 'delete', kind, namespace, name, resourceVersion: meta.resourceVersion }], fence);
        return current;
      } catch (err) {
        // Modified between our read and the delete; without a version precondition the
        // caller wants it gone regardless, so check the uid again on the new version.
        if (err instanceof ConflictError && !precondition.resourceVersion && attempt < 5) continue;
        throw err;
      }
    }
  }

  /**
   * Writes several objects in one etcd transaction: all of them or none.
   * @returns per op, the written object with its new resourceVersion (undefined for a delete).
   * @throws AlreadyExistsError, ConflictError, NotFoundError for the first op whose compare failed;
   *   NotLeaderError when only the fence failed.
   */
  async commit(ops: readonly WriteOp[], fence?: Fence, guards: readonly KeyGuard[] = []): Promise<Array<ApiObject | undefined>> {
    if (ops.length === 0) return [];
    const planned = ops.map((op) => plan(this, op));
    let txn = this.etcd.if(planned[0]!.key, 'Mod', '==', planned[0]!.expectedMod);
    for (const p of planned.slice(1)) txn = txn.and(p.key, 'Mod', '==', p.expectedMod);
    if (fence) txn = txn.and(fence.key, 'Create', '==', fence.createRevision);
    for (const g of guards) txn = txn.and(g.key, 'Version', g.exists ? '>' : '==', 0);
    const success: IRequestOp[] = planned.map((p) =>
      p.value ? { request_put: { key: Buffer.from(p.key), value: p.value } } : { request_delete_range: { key: Buffer.from(p.key) } },
    );
    const failure: IRequestOp[] = planned.map((p) => ({ request_range: { key: Buffer.from(p.key) } }));
    if (fence) failure.push({ request_range: { key: Buffer.from(fence.key) } });
    for (const g of guards) failure.push({ request_range: { key: Buffer.from(g.key), count_only: true } });
    let res: ITxnResponse;
    try {
      res = await txn.then(...success).else(...failure).commit();
    } catch (err) {
      if (/too many operations in txn/.test((err as Error).message ?? '')) {
        throw new BadRequestError(
          `${ops.length} objects are too many for one transaction of this etcd (its --max-txn-ops); apply them in smaller groups`,
          { cause: err },
        );
      }
      const keys = planned.map((p) => p.key);
      throw fromEtcdError(err, `write ${keys.slice(0, 3).join(', ')}${keys.length > 3 ? ` and ${keys.length - 3} more` : ''}`);
    }
    if (!res.succeeded) throw explainFailure(planned, res, fence, guards);
    const revision = res.header.revision;
    return planned.map((p) => {
      if (!p.value) return undefined;
      return withResourceVersion(p.object!, revision);
    });
  }

  /**
   * Watches a kind (or every kind; one namespace of it when given) from a revision. Events arrive in revision order, one
   * batch per etcd response. When the revision was compacted or the watch fails,
   * `onError` is called once and the watch is over: the caller relists.
   */
  watch(kind: KindInfo | undefined, fromRevision: string, handlers: WatchHandlers, namespace?: string): StoreWatch {
    const prefix = kind ? this.prefixOf(kind, namespace) : this.prefix;
    let cancelled = false;
    let watcher: import('etcd3').Watcher | undefined;
    const fail = (err: unknown) => {
      if (cancelled) return;
      cancelled = true;
      void watcher?.cancel().catch(() => undefined);
      handlers.onError(fromEtcdError(err, `watch ${prefix}`));
    };
    this.etcd
      .watch()
      .prefix(prefix)
      .withPreviousKV()
      .startRevision(fromRevision)
      .create()
      .then((w) => {
        watcher = w;
        if (cancelled) {
          void w.cancel().catch(() => undefined);
          return;
        }
        w.on('data', (res) => {
          if (cancelled) return;
          const events: StoreEvent[] = [];
          for (const ev of res.events) {
            if (ev.type === 'Put') {
              const prev = ev.prev_kv;
              events.push({
                type: ev.kv.create_revision === ev.kv.mod_revision ? 'ADDED' : 'MODIFIED',
                key: ev.kv.key.toString(),
                object: decodeKv(ev.kv, this.codec),
                previous: () => (prev ? decodeKv(prev, this.codec) : undefined),
                revision: ev.kv.mod_revision,
              });
            } else if (ev.prev_kv) {
              const object = decodeKv(ev.prev_kv, this.codec);
              // A deleted object's last version is the deletion revision, as in Kubernetes.
              unwrap(object).metadata!.resourceVersion = ev.kv.mod_revision;
              events.push({ type: 'DELETED', key: ev.kv.key.toString(), object, previous: () => object, revision: ev.kv.mod_revision });
            }
          }
          if (events.length > 0) handlers.onEvents(events, res.header.revision);
        });
        w.on('error', fail);
      })
      .catch(fail);
    return {
      cancel: async () => {
        cancelled = true;
        await watcher?.cancel().catch(() => undefined);
      },
    };
  }
}

/** One change seen by a watch. */
export interface StoreEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The full etcd key. */
  readonly key: string;
  /** The object after the change (for DELETED: its last state). */
  readonly object: ApiObject;
  /** The object before the change (decoded on demand; undefined for ADDED). */
  readonly previous: () => ApiObject | undefined;
  readonly revision: string;
}

export interface WatchHandlers {
  onEvents(events: readonly StoreEvent[], revision: string): void;
  /** The watch ended (compaction, etcd gone, ...); the caller relists. */
  onError(err: Error): void;
}

export interface StoreWatch {
  cancel(): Promise<void>;
}

interface PlannedOp {
  readonly op: WriteOp;
  readonly key: string;
  readonly kind: KindInfo;
  readonly name: string;
  readonly expectedMod: string;
  readonly object: ApiObject | undefined;
  /** Bytes to put; undefined for a delete. */
  readonly value: Buffer | undefined;
}

function plan(store: ObjectStore, op: WriteOp): PlannedOp {
  if (op.type === 'delete') {
    const key = store.keyOf(op.kind, op.namespace, op.name);
    return { op, key, kind: op.kind, name: op.name, expectedMod: op.resourceVersion || '0', object: undefined, value: undefined };
  }
  const kind = kindOf(op.object);
  const meta = metaOf(op.object);
  const key = store.keyOf(kind, meta.namespace, meta.name);
  // The version is the key's mod_revision; storing it would only go stale.
  const stored = withResourceVersion(op.object, '');
  const expectedMod = op.type === 'create' ? '0' : meta.resourceVersion;
  if (op.type === 'update' && !/^[1-9][0-9]*$/.test(expectedMod)) {
    throw new ConflictError(kind.plural, meta.name);
  }
  return { op, key, kind, name: meta.name, expectedMod, object: op.object, value: store.codec.encode(key, Buffer.from(ApiObject.encode(stored).finish())) };
}

/**
 * The object with another resourceVersion: a new envelope, resource and metadata around the
 * same spec and status (shallow). Writes only encode their objects, and a deep copy per
 * object per write was a large share of a bind burst's CPU.
 */
function withResourceVersion(obj: ApiObject, resourceVersion: string): ApiObject {
  const r = obj.resource;
  if (!r) return obj;
  const inner = (r as Record<string, unknown>)[r.$case] as { metadata?: ObjectMeta };
  const copy = { ...inner, metadata: { ...(inner.metadata ?? ObjectMeta.fromPartial({})), resourceVersion } };
  return { ...obj, resource: { $case: r.$case, [r.$case]: copy } as ApiObject['resource'] };
}

function explainFailure(planned: readonly PlannedOp[], res: ITxnResponse, fence: Fence | undefined, guards: readonly KeyGuard[]): Error {
  for (let i = 0; i < planned.length; i++) {
    const p = planned[i]!;
    const kv = res.responses[i]?.response_range?.kvs?.[0];
    const actualMod = kv ? kv.mod_revision : '0';
    if (actualMod === p.expectedMod) continue;
    if (p.op.type === 'create') return new AlreadyExistsError(p.kind.plural, p.name);
    if (!kv) return new NotFoundError(p.kind.plural, p.name);
    return new ConflictError(p.kind.plural, p.name);
  }
  let next = planned.length;
  if (fence) {
    const kv = res.responses[next++]?.response_range?.kvs?.[0];
    if (!kv || kv.create_revision !== fence.createRevision) return new NotLeaderError('this master is no longer the leader; the write was refused');
  }
  for (const g of guards) {
    const exists = Number(res.responses[next++]?.response_range?.count ?? 0) > 0;
    if (exists !== g.exists) return new GuardFailedError(g);
  }
  // Every compare holds now: something changed back in between. The caller may retry.
  return new ConflictError(planned[0]!.kind.plural, planned[0]!.name);
}

function decodeKv(kv: IKeyValue, codec: ValueCodec): ApiObject {
  const obj = ApiObject.decode(codec.decode(kv.key.toString(), kv.value));
  const o = unwrap(obj);
  o.metadata = o.metadata ?? ObjectMeta.fromPartial({});
  o.metadata.resourceVersion = kv.mod_revision;
  return obj;
}
