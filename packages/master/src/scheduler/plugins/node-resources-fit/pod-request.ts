import type { Pod } from '@orchard/api';
import { podRequests } from '@orchard/api';

/** What the pod asks for: CPU in millicores, memory in bytes. */
export interface PodRequest {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
}

// Parsing quantities is exact (BigInt) and not cheap; a pod is asked about by several plugins
// per cycle and by several cycles while it waits, always as the same object from the cache.
const requestByPod = new WeakMap<Pod, PodRequest>();

/** podRequests (@orchard/api), remembered per Pod object. @throws Error for a malformed quantity. */
export function podRequest(pod: Pod): PodRequest {
  let r = requestByPod.get(pod);
  if (!r) requestByPod.set(pod, (r = podRequests(pod)));
  return r;
}
