import type { Etcd3, Lease } from 'etcd3';
import { fromEtcdError } from '../store/errors';

/** Where node liveness lives: /orchard/leases/nodes/<name>, bound to an etcd lease. */
export const NODE_LEASES_PREFIX = '/orchard/leases/nodes/';

/** A node's liveness lease: kept alive by the agent's heartbeats, with no write per beat. */
export interface NodeLease {
  /** Renews the lease (one keep-alive). @throws when the lease is gone (expired or revoked). */
  renew(): Promise<void>;
  /** Stops renewing without revoking: the node stays live until the TTL runs out. */
  release(): void;
}

/** Grants node leases; an interface so that the node service can be tested without etcd. */
export interface NodeLeases {
  /** Grants a lease of `ttlSeconds` and binds the node's lease key to it. */
  grant(nodeName: string, ttlSeconds: number): Promise<NodeLease>;
}

/** Node leases in etcd. */
export class EtcdNodeLeases implements NodeLeases {
  constructor(private readonly etcd: Etcd3) {}

  async grant(nodeName: string, ttlSeconds: number): Promise<NodeLease> {
    // Keep-alives come from the agent's heartbeats, not from a timer here: a node whose
    // agent stops beating must expire even though its stream (and this master) live on.
    const lease: Lease = this.etcd.lease(ttlSeconds, { autoKeepAlive: false });
    lease.on('lost', () => undefined);
    try {
      await lease.put(NODE_LEASES_PREFIX + nodeName).value(new Date().toISOString());
    } catch (err) {
      lease.release();
      throw fromEtcdError(err, `grant the lease of node ${nodeName}`);
    }
    return {
      renew: async () => {
        let res;
        let timer: NodeJS.Timeout | undefined;
        try {
          // A keep-alive is a stream call without a deadline; etcd without quorum would hang it.
          res = await Promise.race([
            lease.keepaliveOnce(),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error('lease keep-alive timed out')), 3000);
            }),
          ]);
        } catch (err) {
          throw fromEtcdError(err, `renew the lease of node ${nodeName}`);
        } finally {
          clearTimeout(timer);
        }
        if (!res || res.TTL === '0' || Number(res.TTL) <= 0) throw new Error(`the lease of node ${nodeName} has expired`);
      },
      release: () => lease.release(),
    };
  }
}
