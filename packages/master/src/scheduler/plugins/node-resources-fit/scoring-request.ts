import type { Pod } from '@orchard/api';
import type { PodRequest } from './pod-request';
import { podRequest } from './pod-request';

/** Kubernetes' DefaultMilliCPURequest: what a pod without a CPU request counts as when scoring. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
/** Kubernetes' DefaultMemoryRequest (200 MiB). */
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/**
 * The request used for scoring. As in Kubernetes, a pod that requests nothing still occupies
 * something, otherwise every best-effort pod would see every node as equally empty.
 */
export function scoringRequest(pod: Pod): PodRequest {
  const r = podRequest(pod);
  return {
    cpuMillis: r.cpuMillis > 0 ? r.cpuMillis : DEFAULT_MILLI_CPU_REQUEST,
    memoryBytes: r.memoryBytes > 0 ? r.memoryBytes : DEFAULT_MEMORY_REQUEST,
  };
}
