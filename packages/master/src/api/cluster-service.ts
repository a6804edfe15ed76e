import { status as GrpcStatus, type ServerWritableStream, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import {
  ApiObject,
  ApplyRequest,
  ApplyResponse,
  BadRequestError,
  ConflictError,
  DeleteRequest,
  DeleteResponse,
  ForbiddenError,
  GetRequest,
  InvalidError,
  ListMastersResponse,
  ListRequest,
  ListResponse,
  NotFoundError,
  OrchardError,
  UnavailableError,
  WatchEvent,
  WatchRequest,
  cloneObject,
  kindByCase,
  kindOf,
  metaOf,
  objectKey,
  parseLabelSelector,
  resolveKind,
  rfc3339,
  selectorMatches,
  toServiceError,
  unwrap,
  validateObject,
  withDefaults,
  type ClusterServiceServer,
  type Clock,
  type KindInfo,
  type LabelSelectorParsed,
  type Logger,
  type MasterInfo,
} from '@orchard/api';
import type { IdSource } from '../ids';
import type { ObjectStore, StoreEvent, StoreWatch, WriteOp } from '../store/object-store';
import { mergeForApply, type ApplyAction } from './apply-merge';
import { releasePodsOfDeletedNode } from '../nodes/deleted-node-pods';
import { mergeSecretStringData } from './secret-string-data';

/** Kubernetes' default grace period when a pod names none. */
const DEFAULT_GRACE_SECONDS = 30;
/** Concurrent writers can make an apply's compares fail; re-merging on fresh state is correct. */
const APPLY_ATTEMPTS = 5;

export interface ClusterServiceDeps {
  readonly store: ObjectStore;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly log: Logger;
  /** Every master of the cluster, the leader marked. */
  listMasters(): Promise<MasterInfo[]>;
}

/** A sink for watch events (the gRPC stream in production). */
export interface WatchSink {
  send(ev: WatchEvent): void;
  /** Registers what to do when the client goes away. */
  onClose(fn: () => void): void;
}

/**
 * The cluster API: what the CLI (and any client) calls on any master. Objects are
 * defaulted and validated before anything is written; every write is one etcd
 * transaction; reads go to etcd so that a client reads its own writes.
 */
export class ClusterService {
  constructor(private readonly deps: ClusterServiceDeps) {}

  /** Creates or updates every object in one transaction: all of them or none. */
  async apply(req: ApplyRequest): Promise<ApplyResponse> {
    if (req.objects.length === 0) throw new BadRequestError('no objects to apply');
    const admitted = req.objects.map((o, i) => admit(o, i));
    const keys = new Set<string>();
    for (const o of admitted) {
      const k = kindOf(o);
      const m = metaOf(o);
      const key = objectKey(k, m.namespace, m.name);
      if (keys.has(key)) throw new BadRequestError(`${k.plural} "${m.name}" appears more than once in one apply`);
      keys.add(key);
    }
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.applyOnce(admitted, req.dryRun);
      } catch (err) {
        // A conflict with a resourceVersion the client sent is the client's to resolve.
        if (err instanceof ConflictError && attempt < APPLY_ATTEMPTS && !admitted.some((o) => metaOf(o).resourceVersion)) continue;
        throw err;
      }
    }
  }

  private async applyOnce(objects: readonly ApiObject[], dryRun: boolean): Promise<ApplyResponse> {
    const { store, ids, clock } = this.deps;
    // One read for all of them (a transaction of range requests), not a round trip each.
    const stored = await store.tryGetMany(objects.map((o) => ({ kind: kindOf(o), namespace: metaOf(o).namespace, name: metaOf(o).name })));
    await this.checkNamespaces(objects);
    const merged = objects.map((o, i) => mergeForApply(stored[i], o, ids, clock));
    const ops: WriteOp[] = [];
    for (const m of merged) {
      if (m.action === 'created') ops.push({ type: 'create', object: m.object });
      else if (m.action === 'configured') ops.push({ type: 'update', object: m.object });
    }
    const written = dryRun ? [] : await store.commit(ops);
    let w = 0;
    const results = merged.map((m) => {
      const object = m.action === 'unchanged' || dryRun ? m.object : written[w++]!;
      return { object, action: m.action as ApplyAction };
    });
    for (const r of results) {
      if (r.action !== 'unchanged') this.deps.log.info({ key: keyOf(r.object), action: r.action, dryRun }, 'applied');
    }
    return ApplyResponse.fromPartial({ results });
  }

  /** Namespaced objects need their namespace, unless the same apply creates it. */
  private async checkNamespaces(objects: readonly ApiObject[]): Promise<void> {
    const creating = new Set(objects.filter((o) => o.resource?.$case === 'namespace').map((o) => metaOf(o).name));
    const needed = new Set(objects.filter((o) => kindOf(o).namespaced).map((o) => metaOf(o).namespace));
    const nsKind = kindByCase('namespace');
    for (const ns of needed) {
      if (creating.has(ns)) continue;
      if (!(await this.deps.store.tryGet(nsKind, '', ns))) throw new NotFoundError('namespaces', ns);
    }
  }

  async get(req: GetRequest): Promise<ApiObject> {
    const kind = resolveKind(req.kind);
    if (!req.name) throw new BadRequestError('a name is required');
    return this.deps.store.get(kind, namespaceOf(kind, req.namespace), req.name);
  }

  async list(req: ListRequest): Promise<ListResponse> {
    const kind = resolveKind(req.kind);
    const selector = parseSelector(req.labelSelector);
    const fields = parseFieldSelector(req.fieldSelector);
    const ns = kind.namespaced && !req.allNamespaces ? namespaceOf(kind, req.namespace) : undefined;
    const { items, revision } = await this.deps.store.list(kind, ns);
    return ListResponse.fromPartial({
      items: items.filter((o) => selectorMatches(selector, metaOf(o).labels) && fields(o)),
      resourceVersion: revision,
    });
  }

  /**
   * Deletes an object. A pod bound to a node is deleted gracefully: it is marked
   * (deletionTimestamp, deletionGracePeriodSeconds), its agent stops it and confirms,
   * then the object goes. Unbound pods, grace period 0, nodes and namespaces go at once.
   */
  async delete(req: DeleteRequest): Promise<DeleteResponse> {
    const kind = resolveKind(req.kind);
    if (!req.name) throw new BadRequestError('a name is required');
    const ns = namespaceOf(kind, req.namespace);
    if (kind.case === 'pod') return DeleteResponse.fromPartial({ object: await this.deletePod(ns, req.name, req.gracePeriodSeconds) });
    if (kind.case === 'namespace') {
      if (req.name === 'default') throw new ForbiddenError('namespaces "default" is forbidden: this namespace may not be deleted');
      await this.deletePodsOf(req.name, req.gracePeriodSeconds);
    }
    const gone = await this.deps.store.delete(kind, ns, req.name);
    this.deps.log.info({ key: keyOf(gone) }, 'deleted');
    // No agent will run or stop the pods of a deleted node: move them or let them go.
    if (kind.case === 'node') await releasePodsOfDeletedNode(this.deps, req.name);
    return DeleteResponse.fromPartial({ object: gone });
  }

  private async deletePod(namespace: string, name: string, grace: number | undefined): Promise<ApiObject> {
    const kind = kindByCase('pod');
    const { store, clock, log } = this.deps;
    const current = await store.get(kind, namespace, name);
    const pod = current.resource?.$case === 'pod' ? current.resource.pod : undefined;
    if (!pod?.spec?.nodeName || grace === 0) {
      const gone = await store.delete(kind, namespace, name, { uid: metaOf(current).uid });
      log.info({ pod: `${namespace}/${name}` }, 'pod deleted');
      return gone;
    }
    const marked = await store.mutate(kind, namespace, name, (copy) => {
      const m = metaOf(copy);
      const p = copy.resource?.$case === 'pod' ? copy.resource.pod : undefined;
      const seconds = grace ?? p?.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
      // Already terminating: only a shorter grace period changes anything, as in Kubernetes.
      if (m.deletionTimestamp && (m.deletionGracePeriodSeconds ?? Infinity) <= seconds) return undefined;
      if (!m.deletionTimestamp) m.deletionTimestamp = rfc3339(clock.now());
      m.deletionGracePeriodSeconds = seconds;
      unwrap(copy).metadata = m;
      return copy;
    });
    log.info({ pod: `${namespace}/${name}` }, 'pod marked for deletion');
    return marked ?? (await store.get(kind, namespace, name));
  }

  private async deletePodsOf(namespace: string, grace: number | undefined): Promise<void> {
    const { items } = await this.deps.store.list(kindByCase('pod'), namespace);
    for (const p of items) {
      await this.deletePod(namespace, metaOf(p).name, grace).catch((err: unknown) => {
        if (!(err instanceof NotFoundError)) throw err;
      });
    }
  }

  /**
   * Streams changes of a kind. Without a resourceVersion the current state comes first
   * as ADDED events; with one, the changes after it. With a label selector an object that
   * stops matching is reported DELETED. Resolves when the watch ends.
   */
  async watch(req: WatchRequest, sink: WatchSink): Promise<void> {
    const kind = resolveKind(req.kind);
    const selector = parseSelector(req.labelSelector);
    const ns = kind.namespaced && !req.allNamespaces ? namespaceOf(kind, req.namespace) : undefined;
    let from = req.resourceVersion;
    if (!from) {
      const { items, revision } = await this.deps.store.list(kind, ns);
      for (const o of items) {
        if (!selectorMatches(selector, metaOf(o).labels)) continue;
        sink.send(WatchEvent.fromPartial({ type: 'ADDED', object: o }));
      }
      from = revision;
    } else if (!/^[0-9]+$/.test(from)) {
      throw new BadRequestError(`invalid resourceVersion "${from}"`);
    }
    await new Promise<void>((resolve, reject) => {
      const w: StoreWatch = this.deps.store.watch(kind, (BigInt(from) + 1n).toString(), {
        onEvents: (events) => {
          for (const ev of events) {
            const type = eventType(ev, selector);
            if (type) sink.send(WatchEvent.fromPartial({ type, object: ev.object }));
          }
        },
        onError: (err) => {
          // The revision was compacted or etcd went away: the client lists again.
          reject(new UnavailableError(`watch ended: ${err.message}; list again and watch from the new resourceVersion`, { cause: err }));
        },
      }, ns);
      // Registered after the watch exists: a client already gone cancels it at once.
      sink.onClose(() => {
        void w.cancel();
        resolve();
      });
    });
  }

  async listMasters(): Promise<ListMastersResponse> {
    return ListMastersResponse.fromPartial({ masters: await this.deps.listMasters() });
  }
}

/** The gRPC handlers of the cluster API; every error goes through toServiceError. */
export function clusterServiceHandlers(svc: ClusterService, log: Logger): ClusterServiceServer {
  const unary =
    <Req, Res>(name: string, fn: (req: Req) => Promise<Res>) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      fn(call.request).then(
        (res) => callback(null, res),
        (err: unknown) => {
          // Typed errors are the caller's problem (bad input, not found); others are ours.
          if (err instanceof OrchardError) log.debug({ method: name, err: err.message }, 'request refused');
          else log.error({ method: name, err }, 'request failed');
          callback(toServiceError(err), null);
        },
      );
    };
  return {
    apply: unary('Apply', (r: ApplyRequest) => svc.apply(r)),
    get: unary('Get', (r: GetRequest) => svc.get(r)),
    list: unary('List', (r: ListRequest) => svc.list(r)),
    delete: unary('Delete', (r: DeleteRequest) => svc.delete(r)),
    listMasters: unary('ListMasters', () => svc.listMasters()),
    // Served by this version's successors; answering UNIMPLEMENTED tells a newer CLI so.
    logs: (call) => call.destroy(unimplemented('Logs')),
    exec: (call) => call.destroy(unimplemented('Exec')),
    top: (_call, callback) => callback(unimplemented('Top'), null),
    createToken: (_call, callback) => callback(unimplemented('CreateToken'), null),
    listTokens: (_call, callback) => callback(unimplemented('ListTokens'), null),
    deleteToken: (_call, callback) => callback(unimplemented('DeleteToken'), null),
    createCredentials: (_call, callback) => callback(unimplemented('CreateCredentials'), null),
    reencryptSecrets: (_call, callback) => callback(unimplemented('ReencryptSecrets'), null),
    watch: (call: ServerWritableStream<WatchRequest, WatchEvent>) => {
      let closed = false;
      const closers: Array<() => void> = [];
      const close = () => {
        if (closed) return;
        closed = true;
        for (const fn of closers) fn();
      };
      call.on('cancelled', close);
      call.on('close', close);
      const sink: WatchSink = {
        send: (ev) => {
          if (!closed) call.write(ev);
        },
        onClose: (fn) => (closed ? fn() : closers.push(fn)),
      };
      svc.watch(call.request, sink).then(
        () => {
          if (!call.cancelled) call.end();
        },
        (err: unknown) => {
          close();
          // grpc-js turns an 'error' event into the call's status and ends the stream.
          if (!call.cancelled) call.emit('error', Object.assign(new Error((err as Error).message), toServiceError(err)));
        },
      );
    },
  };
}

/**
 * The watch event a client sees for a store change under a label selector: an object
 * that starts matching is ADDED, one that stops matching is DELETED.
 */
function eventType(ev: StoreEvent, selector: LabelSelectorParsed): string | undefined {
  const matches = (o: ApiObject | undefined) => o !== undefined && selectorMatches(selector, metaOf(o).labels);
  if (ev.type === 'DELETED') return matches(ev.object) ? 'DELETED' : undefined;
  const now = matches(ev.object);
  const before = ev.type === 'MODIFIED' && matches(ev.previous());
  if (now) return before ? 'MODIFIED' : 'ADDED';
  return before ? 'DELETED' : undefined;
}

/** Defaults and validates one object of an apply. */
function admit(obj: ApiObject, index: number): ApiObject {
  if (!obj.resource) throw new BadRequestError(`object ${index + 1}: no kind (expected one of Pod, Node, Namespace)`);
  // stringData is write-only: merged into data before validation, never stored.
  const defaulted = mergeSecretStringData(withDefaults(cloneObject(obj)));
  validateObject(defaulted);
  return defaulted;
}

function namespaceOf(kind: KindInfo, ns: string): string {
  return kind.namespaced ? ns || 'default' : '';
}

function keyOf(obj: ApiObject): string {
  const m = metaOf(obj);
  return objectKey(kindOf(obj), m.namespace, m.name);
}

function parseSelector(s: string): LabelSelectorParsed {
  try {
    return parseLabelSelector(s);
  } catch (err) {
    if (err instanceof InvalidError || err instanceof BadRequestError) throw err;
    throw new BadRequestError(`invalid label selector "${s}": ${(err as Error).message}`, { cause: err });
  }
}

/** Field selectors as kubectl uses them most: metadata.name, metadata.namespace, spec.nodeName, status.phase. */
function parseFieldSelector(s: string): (o: ApiObject) => boolean {
  if (!s.trim()) return () => true;
  const tests = s.split(',').map((part) => {
    const m = /^\s*([a-zA-Z.]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!m) throw new BadRequestError(`invalid field selector "${part}"`);
    const [, field, op, value] = m as unknown as [string, string, string, string];
    const read = fieldReader(field);
    return (o: ApiObject) => (read(o) === value) === (op !== '!=');
  });
  return (o) => tests.every((t) => t(o));
}

function fieldReader(field: string): (o: ApiObject) => string {
  switch (field) {
    case 'metadata.name':
      return (o) => metaOf(o).name;
    case 'metadata.namespace':
      return (o) => metaOf(o).namespace;
    case 'spec.nodeName':
      return (o) => (o.resource?.$case === 'pod' ? (o.resource.pod.spec?.nodeName ?? '') : '');
    case 'status.phase':
      return (o) => (o.resource?.$case === 'pod' ? (o.resource.pod.status?.phase ?? '') : '');
    default:
      throw new BadRequestError(`field selector "${field}" is not supported (metadata.name, metadata.namespace, spec.nodeName, status.phase)`);
  }
}

function unimplemented(method: string): Error & { code: GrpcStatus; details: string } {
  const details = `${method} is not served by this master`;
  return Object.assign(new Error(details), { code: GrpcStatus.UNIMPLEMENTED, details });
}
