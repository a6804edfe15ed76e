import type { Pod, Taint } from '@orchard/api';
import { toleratesTaint } from '../scheduler/plugins/taint-toleration/tolerates';
import { isLifecycleTaint } from './lifecycle-taints';

/** A NoExecute taint of a node and since when this master counts it (ms). */
export interface TaintSince {
  readonly taint: Taint;
  readonly sinceMs: number;
}

/** When a pod is to be evicted, and because of which taint. */
export interface EvictionDue {
  readonly atMs: number;
  readonly taint: Taint;
}

/**
 * When a pod bound to a node with these NoExecute taints must leave it (Kubernetes' taint
 * manager rules, with Orchard's default for the lifecycle taints):
 * - a taint no toleration covers evicts at once, except the lifecycle taints
 *   (unreachable, not-ready), which evict after `defaultTimeoutMs` (Kubernetes adds that
 *   toleration to every pod at admission; Orchard applies it here, so it is a master flag);
 * - tolerations that cover a taint with tolerationSeconds evict after the smallest of them;
 * - a covering toleration without tolerationSeconds keeps the pod there for good.
 * The earliest taint wins. @returns undefined when the pod may stay.
 */
export function evictionDue(pod: Pod, taints: readonly TaintSince[], defaultTimeoutMs: number): EvictionDue | undefined {
  const tolerations = pod.spec?.tolerations ?? [];
  let due: EvictionDue | undefined;
  for (const { taint, sinceMs } of taints) {
    if (taint.effect !== 'NoExecute') continue;
    const covering = tolerations.filter((t) => toleratesTaint(t, taint));
    let afterMs: number;
    if (covering.length === 0) {
      afterMs = isLifecycleTaint(taint) ? defaultTimeoutMs : 0;
    } else {
      if (covering.some((t) => t.tolerationSeconds === undefined)) continue;
      afterMs = Math.max(0, Math.min(...covering.map((t) => t.tolerationSeconds!)) * 1000);
    }
    const atMs = sinceMs + afterMs;
    if (!due || atMs < due.atMs) due = { atMs, taint };
  }
  return due;
}
