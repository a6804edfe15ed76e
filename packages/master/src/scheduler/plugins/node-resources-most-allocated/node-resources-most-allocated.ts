import type { ScorePlugin } from '../../framework/plugin';
import type { NodeInfo } from '../../framework/types';
import type { PodRequest } from '../node-resources-fit/node-resources-fit';
import { scoringRequest } from '../node-resources-fit/scoring-request';

export const Name = 'NodeResourcesMostAllocated';

/**
 * Kubernetes' mostRequestedScore for one resource: the share in use once the pod is added,
 * 0..100. Requests above allocatable count as full (only default requests can get there).
 */
export function mostRequestedScore(requested: number, allocatable: number): number {
  if (allocatable <= 0) return 0;
  if (requested > allocatable) return 100;
  return (requested * 100) / allocatable;
}

/** CPU and memory weigh the same, as in Kubernetes' default resource weights. */
export function mostAllocatedScore(req: PodRequest, nodeInfo: NodeInfo): number {
  // Existing pods count with their non-zero requests too: with plain requests, nodes full of
  // best-effort pods would look empty and these scores would neither spread nor pack.
  const { allocatable, nonZeroRequested: requested } = nodeInfo;
  return (
    (mostRequestedScore(requested.cpuMillis + req.cpuMillis, allocatable.cpuMillis) +
      mostRequestedScore(requested.memoryBytes + req.memoryBytes, allocatable.memoryBytes)) /
    2
  );
}

/** Prefers the fullest nodes that still fit: bin-packing, which leaves whole Pis idle. */
export function nodeResourcesMostAllocated(): ScorePlugin<PodRequest> {
  return {
    name: Name,
    preScore: (pod) => scoringRequest(pod),
    score: (req, _pod, nodeInfo) => mostAllocatedScore(req, nodeInfo),
  };
}
