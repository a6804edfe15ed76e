import { ConsecutiveBreaker, circuitBreaker, handleWhen, retry } from 'cockatiel';
import { Etcd3, isRecoverableError } from 'etcd3';

/** Default deadline of one etcd call: without quorum etcd blocks, and the API must answer "unavailable" instead. */
export const DEFAULT_ETCD_CALL_TIMEOUT_MS = 3000;

/**
 * A member that failed three calls in a row is skipped for this long. etcd3's default
 * (5 s) would keep the API unavailable for seconds after quorum returns.
 */
const HALF_OPEN_AFTER_MS = 500;

/**
 * Creates the etcd client of a master. Unary calls carry a deadline so that a cluster
 * without quorum turns into UnavailableError quickly; streams (watch, lease keep-alive)
 * have none, since they are meant to stay open. A failed call is retried on another
 * member (once per member), never more: a stuck cluster must not multiply the wait.
 * @param urls etcd client URLs, e.g. ["http://127.0.0.1:2379"].
 */
export function createEtcdClient(urls: readonly string[], callTimeoutMs = DEFAULT_ETCD_CALL_TIMEOUT_MS): Etcd3 {
  const hosts = urls.map((u) => u.trim()).filter(Boolean);
  return new Etcd3({
    hosts,
    dialTimeout: callTimeoutMs,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: new Date(Date.now() + callTimeoutMs) }),
    faultHandling: {
      host: () => circuitBreaker(handleWhen(isRecoverableError), { halfOpenAfter: HALF_OPEN_AFTER_MS, breaker: new ConsecutiveBreaker(3) }),
      global: retry(handleWhen(isRecoverableError), { maxAttempts: Math.max(0, Math.min(hosts.length, 3) - 1) }),
    },
  });
}
