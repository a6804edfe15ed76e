import type { ScorePlugin } from '../../framework/plugin';
import type { NodeInfo } from '../../framework/types';
import type { PodRequest } from '../node-resources-fit/node-resources-fit';
import { scoringRequest } from '../node-resources-fit/scoring-request';

export const Name = 'NodeResourcesLeastAllocated';

/**
 * Kubernetes' leastRequestedScore for one resource: the share left free once the pod is added,
 * 0..100; a node that would be overcommitted (or has none of the resource) scores 0.
 */
export function leastRequestedScore(requested: number, allocatable: number): number {
  if (allocatable <= 0 || requested > allocatable) return 0;
  return ((allocatable - requested) * 100) / allocatable;
}

/** CPU and memory weigh the same, as in Kubernetes' default resource weights. */
export function leastAllocatedScore(req: PodRequest, nodeInfo: NodeInfo): number {
  // Existing pods count with their non-zero requests too: with plain requests, nodes full of
  // best-effort pods would look empty and these scores would neither spread nor pack.
  const { allocatable, nonZeroRequested: requested } = nodeInfo;
  return (
    (leastRequestedScore(requested.cpuMillis + req.cpuMillis, allocatable.cpuMillis) +
      leastRequestedScore(requested.memoryBytes + req.memoryBytes, allocatable.memoryBytes)) /
    2
  );
}

/** Prefers the emptiest nodes: spreads load (the default profile). */
export function nodeResourcesLeastAllocated(): ScorePlugin<PodRequest> {
  return {
    name: Name,
    preScore: (pod) => scoringRequest(pod),
    score: (req, _pod, nodeInfo) => leastAllocatedScore(req, nodeInfo),
  };
}
