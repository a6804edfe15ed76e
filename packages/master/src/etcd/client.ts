import { Etcd3 } from 'etcd3';

/** Default deadline of one etcd call: without quorum etcd blocks, and the API must answer "unavailable" instead. */
export const DEFAULT_ETCD_CALL_TIMEOUT_MS = 3000;

/**
 * Creates the etcd client of a master. Unary calls carry a deadline so that a cluster
 * without quorum turns into UnavailableError quickly; streams (watch, lease keep-alive)
 * have none, since they are meant to stay open.
 * @param urls etcd client URLs, e.g. ["http://127.0.0.1:2379"].
 */
export function createEtcdClient(urls: readonly string[], callTimeoutMs = DEFAULT_ETCD_CALL_TIMEOUT_MS): Etcd3 {
  return new Etcd3({
    hosts: urls.map((u) => u.trim()).filter(Boolean),
    dialTimeout: callTimeoutMs,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: new Date(Date.now() + callTimeoutMs) }),
  });
}
