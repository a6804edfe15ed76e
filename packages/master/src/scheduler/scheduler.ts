import {
  ConflictError,
  NotFoundError,
  NotLeaderError,
  PodStatus,
  cloneObject,
  metaOf,
  rfc3339,
  type ApiObject,
  type Clock,
  type Logger,
  type Pod,
} from '@orchard/api';
import { findCondition, setCondition } from '../nodes/conditions';
import type { Informer } from '../store/cache';
import type { Fence } from '../store/fence';
import type { ObjectStore } from '../store/object-store';
import type { PodsByNode } from '../store/pods-by-node';
import type { RegistryPlatforms } from '../images/pod-image-gate';
import type { ClusterSnapshot, NodeInfo, Placement } from './framework/types';
import { SchedulingQueue } from './queue';
import { buildSnapshot, isTerminal, withPod } from './snapshot';

/** The reason Kubernetes gives a pod that fits nowhere. */
export const UNSCHEDULABLE_REASON = 'Unschedulable';
/** Pods placed per snapshot: one snapshot, many placements, binds in flight together. */
const BATCH = 256;
/** Pods bound per etcd transaction; etcd allows 128 operations per transaction by default (one goes to the fence). */
const BIND_TXN_SIZE = 100;
/** Batches whose writes may be in flight while the next one is placed. */
const MAX_BATCHES_IN_FLIGHT = 2;
/** Longest stretch of placement work before the event loop gets a turn. */
const YIELD_AFTER_MS = 10;
/**
 * A kept snapshot is rebuilt from the caches at least this often, even when no change
 * marked it stale: a bound on how long a change the handlers do not see could go unnoticed.
 */
const SNAPSHOT_MAX_AGE_MS = 1000;
/** Parked pods are retried this long after the cluster changed (coalesces bursts of changes). */
const RETRY_DEBOUNCE_MS = 50;
/** Parked pods are retried at least this often, in case a change went unnoticed. */
const PERIODIC_RETRY_MS = 30_000;

export interface SchedulerDeps {
  readonly store: ObjectStore;
  readonly pods: Informer;
  readonly nodes: Informer;
  readonly podsByNode: PodsByNode;
  readonly clock: Clock;
  readonly log: Logger;
  /** The leader's fence; throws NotLeaderError once this master no longer leads. */
  fence(): Fence;
  /** The placement algorithm (findPlacement; a fake in tests). */
  place(pod: Pod, snapshot: ClusterSnapshot): Placement;
  /** Image platforms from registries; without it only what nodes report is known. */
  readonly registryPlatforms?: RegistryPlatforms;
}

/**
 * The scheduler (leader only). Informer events turn pending pods (no nodeName, not being
 * deleted) into keys on a queue; each batch of keys is placed on one snapshot of the
 * cluster, then bound with etcd transactions that compare the pod's version and the
 * leader key, so a pod is never bound twice, not even by two masters that both believe
 * they lead.
 */
export class Scheduler {
  private queue = new SchedulingQueue();
  /** Bindings written (or being written) but not yet seen in the pod cache. */
  private readonly assumed = new Map<string, { nodeName: string; pod: Pod }>();
  /**
   * The snapshot of the last batch, with that batch's placements assumed on their nodes
   * (as kube-scheduler's assume cache does): the next batch starts from it instead of
   * rebuilding it from the caches, until a change other than our own bindings arriving
   * marks it stale.
   */
  private kept: KeptSnapshot | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private periodic: NodeJS.Timeout | undefined;
  private readonly podHandler = {
    onAdd: (o: ApiObject) => this.onPod(o),
    onUpdate: (old: ApiObject, o: ApiObject) => {
      // A bound pod changed (status, labels, deletion): the kept snapshot holds its old copy.
      if (podOf(old)?.spec?.nodeName) this.kept = undefined;
      this.onPod(o);
      // A pod that finished or moved frees its node's resources.
      const [p0, p1] = [podOf(old), podOf(o)];
      if (p0?.spec?.nodeName && p1 && isTerminal(p1) && !isTerminal(p0)) this.clusterChanged();
    },
    onDelete: (o: ApiObject) => {
      const key = keyOf(o);
      this.queue.forget(key);
      if (this.assumed.delete(key) || podOf(o)?.spec?.nodeName) this.kept = undefined;
      if (podOf(o)?.spec?.nodeName) this.clusterChanged();
    },
  };
  private readonly nodeHandler = {
    onAdd: () => this.nodeChanged(),
    onUpdate: () => this.nodeChanged(),
    onDelete: () => this.nodeChanged(),
  };

  /** The registry's answers as the placement snapshot reads them. */
  private readonly registryPlatforms: ClusterSnapshot['registryPlatforms'];

  constructor(private readonly deps: SchedulerDeps) {
    const registry = deps.registryPlatforms;
    this.registryPlatforms = registry && ((image) => registry.platforms(image));
  }

  /** Starts scheduling (when this master becomes the leader). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.queue = new SchedulingQueue();
    // Cleared here, not in stop(): a stop still finishing must not clear a new term's.
    this.assumed.clear();
    this.kept = undefined;
    this.deps.pods.addHandler(this.podHandler);
    this.deps.nodes.addHandler(this.nodeHandler);
    for (const o of this.deps.pods.values()) this.onPod(o);
    this.periodic = setInterval(() => this.queue.moveAllToActive(), PERIODIC_RETRY_MS);
    this.periodic.unref();
    this.startLoop();
    this.deps.log.info({ pending: this.queue.activeCount }, 'scheduler started');
  }

  /** Stops at once (leadership lost or shutdown); binds in flight fail on the fence. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.deps.pods.removeHandler(this.podHandler);
    this.deps.nodes.removeHandler(this.nodeHandler);
    clearTimeout(this.retryTimer);
    clearTimeout(this.restartTimer);
    clearInterval(this.periodic);
    this.queue.close();
    await this.loop;
    this.deps.log.info('scheduler stopped');
  }

  /** Pods waiting for a node that fits (for tests and metrics). */
  get parkedCount(): number {
    return this.queue.parkedCount;
  }

  private onPod(o: ApiObject): void {
    const p = podOf(o);
    if (!p) return;
    const key = keyOf(o);
    if (p.spec?.nodeName) {
      // Bound (by us or by the user): the cache now counts it on its node. Our own binding
      // arriving changes nothing the kept snapshot does not already assume.
      if (this.assumed.get(key)?.nodeName !== p.spec.nodeName) this.kept = undefined;
      this.assumed.delete(key);
      this.queue.forget(key);
      return;
    }
    if (!metaOf(o).deletionTimestamp) this.enqueue(key, p);
  }

  /** Queues a pending pod, once its images' platforms are resolved or the bounded wait is over. */
  private enqueue(key: string, pod: Pod): void {
    const wait = this.deps.registryPlatforms?.admit(pod);
    if (!wait) return this.queue.add(key);
    const queue = this.queue;
    // A stopped or restarted scheduler has a new queue: this term's pods are not its business.
    void wait.then(() => queue.add(key));
  }

  private nodeChanged(): void {
    this.kept = undefined;
    this.clusterChanged();
  }

  private clusterChanged(): void {
    if (this.retryTimer || !this.running) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.queue.moveAllToActive();
    }, RETRY_DEBOUNCE_MS);
  }

  private startLoop(): void {
    this.loop = this.run().catch((err: unknown) => {
      // A bug in the loop must not take the API down with it, nor stop scheduling for good.
      this.deps.log.error({ err }, 'scheduler loop failed; restarting it in a second');
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        if (this.running) this.startLoop();
      }, 1000);
    });
  }

  private async run(): Promise<void> {
    const queue = this.queue;
    // Writes of earlier batches still in flight: the next batch is placed meanwhile (its
    // snapshot counts them as assumed), up to a bound that keeps memory and etcd in check.
    const inflight = new Set<Promise<void>>();
    while (this.running && (await queue.next())) {
      const keys = queue.popBatch(BATCH);
      let writes: Promise<void>;
      try {
        ({ writes } = await this.scheduleBatch(keys));
      } catch (err) {
        // Unexpected (a bug or a plugin that threw): retrying the same input would fail the
        // same way at once, so retry later instead of spinning.
        this.deps.log.error({ err, keys: keys.length }, 'scheduling batch failed');
        for (const k of keys) queue.addAfter(k, 1000);
        continue;
      }
      const tracked: Promise<void> = writes.finally(() => inflight.delete(tracked));
      inflight.add(tracked);
      if (inflight.size >= MAX_BATCHES_IN_FLIGHT) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  }

  /** Places a batch of pods on one snapshot; resolves, once placed, with their writes (wrapped: a bare promise would be awaited too). */
  private async scheduleBatch(keys: readonly string[]): Promise<{ writes: Promise<void> }> {
    const { pods } = this.deps;
    const { infos, indexOf, imagePlatforms } = this.snapshot();
    const writes: Promise<void>[] = [];
    const binds: Binding[] = [];
    let sliceStart = Date.now();
    for (const key of keys) {
      if (Date.now() - sliceStart > YIELD_AFTER_MS) {
        // Placement is CPU work: let lease keep-alives, streams and binds run in between.
        await new Promise<void>((resolve) => setImmediate(resolve));
        sliceStart = Date.now();
        if (!this.running) break;
      }
      const cached = pods.peek(key);
      const pod = cached && podOf(cached);
      // Gone, bound meanwhile, being deleted, or already being bound: nothing to do.
      if (!cached || !pod || pod.spec?.nodeName || metaOf(cached).deletionTimestamp || this.assumed.has(key)) continue;
      const placement = this.deps.place(pod, { nodes: infos, imagePlatforms, registryPlatforms: this.registryPlatforms });
      if (placement.ok) {
        const i = indexOf.get(placement.nodeName);
        if (i !== undefined) infos[i] = withPod(infos[i]!, pod);
        this.assumed.set(key, { nodeName: placement.nodeName, pod });
        binds.push({ key, bound: this.boundCopy(cached, placement.nodeName), nodeName: placement.nodeName });
      } else {
        writes.push(this.markUnschedulable(key, cached, placement.message));
      }
    }
    for (let i = 0; i < binds.length; i += BIND_TXN_SIZE) writes.push(this.bindAll(binds.slice(i, i + BIND_TXN_SIZE)));
    return { writes: Promise.all(writes).then(() => undefined) };
  }

  /** The kept snapshot, or a new one from the caches (with the assumed bindings) when it is stale or old. */
  private snapshot(): KeptSnapshot {
    const now = Date.now();
    if (this.kept && now - this.kept.builtAt < SNAPSHOT_MAX_AGE_MS) return this.kept;
    const { nodes, podsByNode } = this.deps;
    const snapshot = buildSnapshot(nodes.values(), (n) => podsByNode.podsOn(n), this.assumed);
    const infos: NodeInfo[] = [...snapshot.nodes];
    const indexOf = new Map(infos.map((info, i) => [info.node.metadata?.name ?? '', i]));
    this.kept = { infos, indexOf, imagePlatforms: snapshot.imagePlatforms, builtAt: now };
    return this.kept;
  }

  /** Forgets a binding that did not happen: the snapshot that assumed it is stale. */
  private unassume(key: string): void {
    this.assumed.delete(key);
    this.kept = undefined;
  }

  /** The pod bound to `nodeName`, with PodScheduled=True. */
  private boundCopy(cached: ApiObject, nodeName: string): ApiObject {
    // Shallow: new envelope, pod, spec and status around the cache's unchanged parts (the
    // cache's objects are never mutated; a deep copy per bind cost more than placing it).
    const cachedPod = podOf(cached)!;
    const status: PodStatus = cachedPod.status ? { ...cachedPod.status } : PodStatus.fromPartial({ phase: 'Pending' });
    if (!status.phase) status.phase = 'Pending';
    status.conditions = setCondition(status.conditions, { type: 'PodScheduled', status: 'True', reason: '', message: '' }, rfc3339(this.deps.clock.now()));
    const pod: Pod = { ...cachedPod, spec: { ...cachedPod.spec!, nodeName }, status };
    return { ...cached, resource: { $case: 'pod', pod } };
  }

  /**
   * Binds several pods in one fenced transaction that compares every pod's version: one
   * etcd round trip for many pods. If any of them changed meanwhile the transaction
   * writes nothing, and each pod is bound on its own so that the others still go through.
   */
  private async bindAll(binds: readonly Binding[]): Promise<void> {
    if (binds.length === 1) return this.bind(binds[0]!);
    try {
      await this.deps.store.commit(binds.map((b) => ({ type: 'update' as const, object: b.bound })), this.deps.fence());
      // One line per transaction at info; per pod at debug (thousands per second are possible).
      this.deps.log.info({ pods: binds.length, first: firstBinding(binds) }, 'pods bound');
      for (const b of binds) this.deps.log.debug({ pod: b.key.slice('pods/'.length), node: b.nodeName }, 'pod bound');
    } catch (err) {
      if (err instanceof ConflictError || err instanceof NotFoundError) {
        await Promise.all(binds.map((b) => this.bind(b)));
        return;
      }
      for (const b of binds) {
        this.unassume(b.key);
        this.handleWriteError(b.key, err, 'bind');
      }
    }
  }

  /** Binds one pod with a fenced transaction that also compares the pod's version. */
  private async bind(b: Binding): Promise<void> {
    try {
      await this.deps.store.update(b.bound, this.deps.fence());
      this.deps.log.info({ pod: b.key.slice('pods/'.length), node: b.nodeName }, 'pod bound');
    } catch (err) {
      this.unassume(b.key);
      this.handleWriteError(b.key, err, 'bind');
    }
  }

  /** Records why the pod fits nowhere (only when that changed) and parks it. */
  private async markUnschedulable(key: string, cached: ApiObject, message: string): Promise<void> {
    const { store, clock, log } = this.deps;
    const pod = podOf(cached)!;
    const current = findCondition(pod.status?.conditions, 'PodScheduled');
    this.queue.park(key);
    if (current?.status === 'False' && current.reason === UNSCHEDULABLE_REASON && current.message === message) return;
    const copy = cloneObject(cached);
    const p = podOf(copy)!;
    const status = p.status ?? PodStatus.fromPartial({});
    if (!status.phase) status.phase = 'Pending';
    status.conditions = setCondition(status.conditions, { type: 'PodScheduled', status: 'False', reason: UNSCHEDULABLE_REASON, message }, rfc3339(clock.now()));
    p.status = status;
    try {
      await store.update(copy, this.deps.fence());
      log.info({ pod: key.slice('pods/'.length), reason: message }, 'pod unschedulable');
    } catch (err) {
      this.handleWriteError(key, err, 'record unschedulable');
    }
  }

  private handleWriteError(key: string, err: unknown, what: string): void {
    const { log } = this.deps;
    if (err instanceof NotLeaderError) {
      // Deposed: the new leader schedules this pod; nothing to retry here.
      log.warn({ pod: key, err: err.message }, `${what} refused: no longer the leader`);
      return;
    }
    if (err instanceof NotFoundError) return; // Deleted meanwhile: done.
    if (err instanceof ConflictError) {
      // The pod changed since the cache showed it; the informer delivers the new version
      // and a short pause lets it arrive before the retry.
      this.queue.addAfter(key, 20);
      return;
    }
    // etcd unavailable or an unexpected error: retry with a pause.
    log.warn({ pod: key, err: (err as Error).message }, `${what} failed; retrying`);
    this.queue.addAfter(key, 1000);
  }
}

/** The scheduler's view of the cluster, kept from batch to batch. */
interface KeptSnapshot {
  /** Mutated in place: each placement replaces its node's NodeInfo with one holding the pod. */
  readonly infos: NodeInfo[];
  readonly indexOf: ReadonlyMap<string, number>;
  readonly imagePlatforms: ClusterSnapshot['imagePlatforms'];
  readonly builtAt: number;
}

/** A placement on its way to etcd. */
interface Binding {
  readonly key: string;
  /** The pod as read from the cache, bound: its resourceVersion is the compare. */
  readonly bound: ApiObject;
  readonly nodeName: string;
}

/** "default/web -> pi1": the first pod of a transaction, for the log. */
function firstBinding(binds: readonly Binding[]): string {
  const b = binds[0]!;
  return `${b.key.slice('pods/'.length)} -> ${b.nodeName}`;
}

function podOf(o: ApiObject): Pod | undefined {
  return o.resource?.$case === 'pod' ? o.resource.pod : undefined;
}

function keyOf(o: ApiObject): string {
  const m = metaOf(o);
  return `pods/${m.namespace}/${m.name}`;
}
