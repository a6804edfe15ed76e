import type { FilterPlugin } from '../../framework/plugin';
import type { Status } from '../../framework/status';
import { SUCCESS, unschedulable } from '../../framework/status';
import type { NodeInfo } from '../../framework/types';
import type { PodRequest } from './pod-request';
import { podRequest } from './pod-request';

export type { PodRequest } from './pod-request';

export const Name = 'NodeResourcesFit';

/** Kubernetes' reasons, in the order Kubernetes checks them. */
export const ErrReasonTooManyPods = 'Too many pods';
export const ErrReasonInsufficientCpu = 'Insufficient cpu';
export const ErrReasonInsufficientMemory = 'Insufficient memory';

const TOO_MANY_PODS = 1;
const INSUFFICIENT_CPU = 2;
const INSUFFICIENT_MEMORY = 4;

// One frozen status per combination of failures, so that rejecting a node allocates nothing.
const STATUSES: readonly Status[] = Array.from({ length: 8 }, (_, mask) => {
  if (mask === 0) return SUCCESS;
  const reasons: string[] = [];
  if (mask & TOO_MANY_PODS) reasons.push(ErrReasonTooManyPods);
  if (mask & INSUFFICIENT_CPU) reasons.push(ErrReasonInsufficientCpu);
  if (mask & INSUFFICIENT_MEMORY) reasons.push(ErrReasonInsufficientMemory);
  return unschedulable(...reasons);
});

/**
 * Kubernetes' fitsRequest: the pod count always counts; CPU and memory only when the pod
 * requests some. Every shortage is reported, so a node short of both counts under both
 * reasons in the message.
 */
export function fitsRequest(req: PodRequest, nodeInfo: NodeInfo): Status {
  const { allocatable, requested } = nodeInfo;
  let mask = 0;
  if (requested.pods + 1 > allocatable.pods) mask |= TOO_MANY_PODS;
  if (req.cpuMillis > 0 && req.cpuMillis > allocatable.cpuMillis - requested.cpuMillis) mask |= INSUFFICIENT_CPU;
  if (req.memoryBytes > 0 && req.memoryBytes > allocatable.memoryBytes - requested.memoryBytes) mask |= INSUFFICIENT_MEMORY;
  return STATUSES[mask]!;
}

/** Rejects nodes without room for the pod's requests (CPU, memory, pod count). */
export function nodeResourcesFit(): FilterPlugin<PodRequest> {
  return {
    name: Name,
    preFilter: (pod) => podRequest(pod),
    filter: (req, _pod, nodeInfo) => fitsRequest(req, nodeInfo),
  };
}
