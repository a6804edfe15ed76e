import type { PreferredSchedulingTerm } from '@orchard/api';
import type { FilterPlugin, ScorePlugin } from '../../framework/plugin';
import { normalizeToMax, SKIP } from '../../framework/plugin';
import { SUCCESS, unschedulable } from '../../framework/status';
import type { NodeMatcher } from './node-selector';
import { requiredNodeMatcher, termMatches } from './node-selector';

export const Name = 'NodeAffinity';

/** Kubernetes' ErrReasonPod, for nodeSelector and required node affinity alike. */
export const ErrReasonPod = "node(s) didn't match Pod's node affinity/selector";

const MISMATCH = unschedulable(ErrReasonPod);

/** Rejects nodes outside the pod's nodeSelector or required node affinity (In, NotIn, Exists, DoesNotExist, Gt, Lt). */
export function nodeAffinityFilter(): FilterPlugin<NodeMatcher> {
  return {
    name: Name,
    preFilter: (pod) => requiredNodeMatcher(pod) ?? SKIP,
    filter: (matches, _pod, nodeInfo) => (matches(nodeInfo.node) ? SUCCESS : MISMATCH),
  };
}

/**
 * Prefers nodes matching the pod's preferred terms: the raw score is the sum of the weights of
 * the terms a node matches, normalized so the best node scores 100.
 */
export function nodeAffinityScore(): ScorePlugin<readonly PreferredSchedulingTerm[]> {
  return {
    name: Name,
    preScore: (pod) => {
      const preferred = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
      // A weight of 0 cannot change anything; Kubernetes validation rejects it anyway.
      const useful = preferred.filter((p) => p.weight > 0 && p.preference);
      return useful.length > 0 ? useful : SKIP;
    },
    score: (preferred, _pod, nodeInfo) => {
      let sum = 0;
      for (let i = 0; i < preferred.length; i++) {
        const p = preferred[i]!;
        if (termMatches(p.preference!, nodeInfo.node)) sum += p.weight;
      }
      return sum;
    },
    normalize: (_state, scores, count) => normalizeToMax(scores, count, false),
  };
}
