import type { Taint, Toleration } from '@orchard/api';
import type { FilterPlugin, ScorePlugin } from '../../framework/plugin';
import { normalizeToMax } from '../../framework/plugin';
import type { Status } from '../../framework/status';
import { SUCCESS, unschedulable } from '../../framework/status';
import type { NodeInfo } from '../../framework/types';
import { anyToleratesTaint } from './tolerates';

export const Name = 'TaintToleration';

/** Kubernetes' reason, naming the first taint the pod does not tolerate. */
export function errReasonUntoleratedTaint(taint: Pick<Taint, 'key' | 'value'>): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value}}`;
}

// Taint objects live as long as their node version does; reuse one status per taint.
const statusByTaint = new WeakMap<Taint, Status>();

function untolerated(taint: Taint): Status {
  let s = statusByTaint.get(taint);
  if (!s) {
    s = unschedulable(errReasonUntoleratedTaint(taint));
    statusByTaint.set(taint, s);
  }
  return s;
}

/** The first NoSchedule or NoExecute taint of the node that no toleration covers. */
export function firstUntoleratedTaint(nodeInfo: NodeInfo, tolerations: readonly Toleration[]): Taint | undefined {
  const taints = nodeInfo.node.spec?.taints;
  if (!taints) return undefined;
  for (let i = 0; i < taints.length; i++) {
    const t = taints[i]!;
    if ((t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !anyToleratesTaint(tolerations, t)) return t;
  }
  return undefined;
}

/** Rejects nodes with a NoSchedule or NoExecute taint the pod does not tolerate. */
export function taintTolerationFilter(): FilterPlugin<readonly Toleration[]> {
  return {
    name: Name,
    preFilter: (pod) => pod.spec?.tolerations ?? [],
    filter: (tolerations, _pod, nodeInfo) => {
      const taint = firstUntoleratedTaint(nodeInfo, tolerations);
      return taint ? untolerated(taint) : SUCCESS;
    },
  };
}

/**
 * Prefers nodes with fewer PreferNoSchedule taints the pod does not tolerate: the raw score is
 * the count, normalized so the node with the most scores 0 (Kubernetes' reverse normalize).
 */
export function taintTolerationScore(): ScorePlugin<readonly Toleration[]> {
  return {
    name: Name,
    // Only tolerations that can cover a PreferNoSchedule taint matter here.
    preScore: (pod) => (pod.spec?.tolerations ?? []).filter((t) => t.effect === '' || t.effect === 'PreferNoSchedule'),
    score: (tolerations, _pod, nodeInfo) => {
      const taints = nodeInfo.node.spec?.taints;
      if (!taints) return 0;
      let count = 0;
      for (let i = 0; i < taints.length; i++) {
        const t = taints[i]!;
        if (t.effect === 'PreferNoSchedule' && !anyToleratesTaint(tolerations, t)) count++;
      }
      return count;
    },
    normalize: (_state, scores, count) => normalizeToMax(scores, count, true),
  };
}
