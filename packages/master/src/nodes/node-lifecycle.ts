import { NotFoundError, NotLeaderError, kindByCase, rfc3339, type Clock, type Logger } from '@orchard/api';
import type { Etcd3, Watcher } from 'etcd3';
import type { Informer } from '../store/cache';
import { fromEtcdError } from '../store/errors';
import type { Fence } from '../store/fence';
import { GuardFailedError, type ObjectStore } from '../store/object-store';
import { findCondition, setCondition } from './conditions';
import { NODE_LEASES_PREFIX } from './node-lease';

export const NODE_STATUS_UNKNOWN_REASON = 'NodeStatusUnknown';
export const NODE_STATUS_UNKNOWN_MESSAGE = 'Agent stopped posting node status.';

/**
 * What happens to a node that went silent, beyond its Ready condition. Issue-4 work
 * (the NoExecute taint, rate-limited eviction of its pods) plugs in here.
 */
export interface NodeSilenceHandler {
  onNodeSilent(nodeName: string, fence: Fence): Promise<void>;
}

export interface NodeLifecycleDeps {
  readonly etcd: Etcd3;
  readonly store: ObjectStore;
  readonly nodes: Informer;
  readonly clock: Clock;
  readonly log: Logger;
  /** The leader's fence; throws NotLeaderError once this master no longer leads. */
  fence(): Fence;
  readonly onSilent?: NodeSilenceHandler;
}

/**
 * The node lifecycle controller (leader only). A node's liveness is its lease key; when
 * the key disappears (the lease expired: no heartbeat for the grace period) the node's
 * Ready condition becomes Unknown. No timers of its own: etcd expires the lease.
 */
export class NodeLifecycle {
  private watcher: Watcher | undefined;
  private stopped = true;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly deps: NodeLifecycleDeps) {}

  /** Starts following the lease keys; nodes already silent are marked at once. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.resyncUntilDone();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.watcher?.cancel().catch(() => undefined);
    this.watcher = undefined;
  }

  /** Resyncs; while etcd is unavailable, tries again every second. */
  private async resyncUntilDone(): Promise<void> {
    try {
      await this.resync();
    } catch (err) {
      this.deps.log.warn({ err: (err as Error).message }, 'node lease resync failed; retrying');
      this.later(1000, () => this.resyncUntilDone());
    }
  }

  private async resync(): Promise<void> {
    const { etcd, nodes, log } = this.deps;
    let revision: string;
    let live: Set<string>;
    try {
      const res = await etcd.getAll().prefix(NODE_LEASES_PREFIX).exec();
      revision = res.header.revision;
      live = new Set(res.kvs.map((kv) => kv.key.toString().slice(NODE_LEASES_PREFIX.length)));
    } catch (err) {
      throw fromEtcdError(err, 'list node leases');
    }
    if (this.stopped) return;
    for (const o of nodes.values()) {
      if (o.resource?.$case !== 'node') continue;
      const name = o.resource.node.metadata?.name ?? '';
      const ready = findCondition(o.resource.node.status?.conditions, 'Ready');
      if (!live.has(name) && ready?.status === 'True') void this.markSilent(name);
    }
    const w = await etcd.watch().prefix(NODE_LEASES_PREFIX).startRevision((BigInt(revision) + 1n).toString()).create();
    if (this.stopped) {
      await w.cancel();
      return;
    }
    this.watcher = w;
    w.on('delete', (kv) => void this.markSilent(kv.key.toString().slice(NODE_LEASES_PREFIX.length)));
    w.on('error', (err) => {
      if (this.stopped) return;
      // Leases may have expired while the watch was down: list them again.
      log.warn({ err: err.message }, 'node lease watch ended; resyncing');
      void w.cancel().catch(() => undefined);
      this.later(500, () => this.resyncUntilDone());
    });
  }

  /** Sets Ready=Unknown on a node whose lease is gone (fenced: only the leader writes it). */
  async markSilent(nodeName: string): Promise<void> {
    if (this.stopped) return;
    const { store, clock, log } = this.deps;
    let fence: Fence;
    try {
      fence = this.deps.fence();
    } catch {
      return;
    }
    const now = rfc3339(clock.now());
    try {
      const updated = await store.mutate(
        kindByCase('node'),
        '',
        nodeName,
        (copy) => {
          const n = copy.resource?.$case === 'node' ? copy.resource.node : undefined;
          if (!n?.status) return undefined;
          const ready = findCondition(n.status.conditions, 'Ready');
          if (ready?.status === 'Unknown') return undefined;
          n.status.conditions = setCondition(n.status.conditions, {
            type: 'Ready',
            status: 'Unknown',
            reason: NODE_STATUS_UNKNOWN_REASON,
            message: NODE_STATUS_UNKNOWN_MESSAGE,
            lastHeartbeatTime: ready?.lastHeartbeatTime ?? '',
          }, now);
          return copy;
        },
        fence,
        // Only while the node has no lease: an agent that reconnected meanwhile wins.
        [{ key: NODE_LEASES_PREFIX + nodeName, exists: false }],
      );
      if (updated) log.warn({ node: nodeName }, 'node stopped posting status; Ready=Unknown');
      await this.deps.onSilent?.onNodeSilent(nodeName, fence);
    } catch (err) {
      // A deleted node needs nothing; a deposed leader leaves it to the new one; a node
      // with a lease again is alive.
      if (err instanceof NotFoundError || err instanceof NotLeaderError || err instanceof GuardFailedError) return;
      // Transient (etcd unavailable): retry while the node is still without a lease.
      log.warn({ node: nodeName, err: (err as Error).message }, 'could not mark node silent; retrying');
      this.later(1000, () => this.retryIfStillSilent(nodeName));
    }
  }

  private later(ms: number, fn: () => Promise<void>): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      void fn();
    }, ms);
    this.timers.add(t);
  }

  private async retryIfStillSilent(nodeName: string): Promise<void> {
    try {
      if (await this.deps.etcd.get(NODE_LEASES_PREFIX + nodeName).exists()) return;
    } catch {
      this.later(1000, () => this.retryIfStillSilent(nodeName));
      return;
    }
    await this.markSilent(nodeName);
  }
}
