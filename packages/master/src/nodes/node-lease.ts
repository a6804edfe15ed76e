import type { Etcd3, IDuplexStream, ILeaseKeepAliveRequest, ILeaseKeepAliveResponse } from 'etcd3';
import { fromEtcdError } from '../store/errors';

/** Where node liveness lives: /orchard/leases/nodes/<name>, bound to an etcd lease. */
export const NODE_LEASES_PREFIX = '/orchard/leases/nodes/';

/** How long a keep-alive may take: it is a stream message without a deadline of its own. */
const RENEW_TIMEOUT_MS = 3000;

/**
 * etcd says the lease no longer exists (it expired or was revoked): only then does a node
 * need a new one. Any other renewal failure (a slow etcd, a broken stream) leaves the
 * lease as it is and the next heartbeat tries again.
 */
export class NodeLeaseExpiredError extends Error {}

/** A node's liveness lease: kept alive by the agent's heartbeats, with no write per beat. */
export interface NodeLease {
  /** Renews the lease (one keep-alive). @throws NodeLeaseExpiredError when the lease is gone; other errors when etcd did not answer. */
  renew(): Promise<void>;
  /** Stops renewing without revoking: the node stays live until the TTL runs out. */
  release(): void;
}

/** Grants node leases; an interface so that the node service can be tested without etcd. */
export interface NodeLeases {
  /** Grants a lease of `ttlSeconds` and binds the node's lease key to it. */
  grant(nodeName: string, ttlSeconds: number): Promise<NodeLease>;
}

/**
 * Node leases in etcd. Keep-alives come from the agents' heartbeats, not from a timer
 * here: a node whose agent stops beating must expire even though its stream (and this
 * master) live on. All nodes of this master share one keep-alive stream to etcd, so a
 * heartbeat costs one small message instead of a new stream.
 */
export class EtcdNodeLeases implements NodeLeases {
  private stream: IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse> | undefined;
  private opening: Promise<IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>> | undefined;
  private readonly waiters = new Map<string, Array<{ resolve: () => void; reject: (e: Error) => void }>>();

  constructor(private readonly etcd: Etcd3) {}

  async grant(nodeName: string, ttlSeconds: number): Promise<NodeLease> {
    let id: string;
    try {
      id = (await this.etcd.leaseClient.leaseGrant({ TTL: ttlSeconds })).ID;
      await this.etcd.put(NODE_LEASES_PREFIX + nodeName).value(new Date().toISOString()).lease(id);
    } catch (err) {
      // A lease granted without its key just expires.
      throw fromEtcdError(err, `grant the lease of node ${nodeName}`);
    }
    let released = false;
    return {
      renew: async () => {
        if (released) throw new Error(`the lease of node ${nodeName} was released`);
        try {
          await this.keepAlive(id, nodeName);
        } catch (err) {
          // Released while the keep-alive was under way: the stream ended (a master that was
          // frozen reads its last heartbeats and the stream's end at once, on waking). The
          // node's liveness may already be another master's lease by now; a failure here
          // would make the node service grant a new lease and take the node's key from it.
          if (released) return;
          throw err;
        }
      },
      release: () => {
        released = true;
      },
    };
  }

  /** Closes the shared stream (master shutdown). */
  close(): void {
    this.failAll(new Error('node leases closed'));
  }

  private async keepAlive(id: string, nodeName: string): Promise<void> {
    let stream: IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>;
    try {
      stream = await this.openStream();
    } catch (err) {
      throw fromEtcdError(err, `renew the lease of node ${nodeName}`);
    }
    let timer: NodeJS.Timeout | undefined;
    const answered = new Promise<void>((resolve, reject) => {
      const waiter = { resolve, reject };
      const list = this.waiters.get(id) ?? [];
      list.push(waiter);
      this.waiters.set(id, list);
      timer = setTimeout(() => {
        // Forget the waiter, or a stalled etcd would make the map grow with every beat.
        const rest = (this.waiters.get(id) ?? []).filter((w) => w !== waiter);
        if (rest.length > 0) this.waiters.set(id, rest);
        else this.waiters.delete(id);
        reject(new Error('lease keep-alive timed out'));
      }, RENEW_TIMEOUT_MS);
    });
    try {
      stream.write({ ID: id });
      await answered;
    } catch (err) {
      if (err instanceof NodeLeaseExpiredError) throw err;
      throw fromEtcdError(err, `renew the lease of node ${nodeName}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private openStream(): Promise<IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>> {
    if (this.stream) return Promise.resolve(this.stream);
    this.opening ??= this.etcd.leaseClient.leaseKeepAlive().then(
      (stream) => {
        this.opening = undefined;
        this.stream = stream;
        stream.on('data', (res) => this.answer(res));
        // A broken stream fails the renewals waiting on it; the next heartbeat opens a new one.
        stream.on('error', (err) => this.drop(stream, err));
        stream.on('end', () => this.drop(stream, new Error('lease keep-alive stream ended')));
        return stream;
      },
      (err: unknown) => {
        this.opening = undefined;
        throw err;
      },
    );
    return this.opening;
  }

  private answer(res: ILeaseKeepAliveResponse): void {
    const list = this.waiters.get(res.ID);
    if (!list) return;
    this.waiters.delete(res.ID);
    // etcd answers TTL 0 for a lease that no longer exists.
    const expired = !res.TTL || Number(res.TTL) <= 0;
    for (const w of list) {
      if (expired) w.reject(new NodeLeaseExpiredError(`lease ${res.ID} has expired`));
      else w.resolve();
    }
  }

  private drop(stream: IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>, err: Error): void {
    if (this.stream !== stream) return;
    this.failAll(err);
  }

  private failAll(err: Error): void {
    const stream = this.stream;
    this.stream = undefined;
    try {
      stream?.end();
    } catch {
      // Already broken.
    }
    const all = [...this.waiters.values()].flat();
    this.waiters.clear();
    for (const w of all) w.reject(err);
  }
}
