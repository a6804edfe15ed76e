import type { Pod } from '@orchard/api';

/**
 * Memoizes something derived from a node's pods (ports in use, replicas per owner) by the
 * identity of the pods array: NodeInfo is rebuilt when its pods change, so an index is built
 * once per change instead of once per pod scheduled. The length is checked as well, so an
 * array grown in place is not served a stale index.
 */
export function podsIndex<T>(build: (pods: readonly Pod[]) => T): (pods: readonly Pod[]) => T {
  const cache = new WeakMap<readonly Pod[], { length: number; value: T }>();
  return (pods) => {
    const hit = cache.get(pods);
    if (hit && hit.length === pods.length) return hit.value;
    const value = build(pods);
    cache.set(pods, { length: pods.length, value });
    return value;
  };
}
