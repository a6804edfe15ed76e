import type { Pod } from '@orchard/api';

/** What kubectl shows in the READY, STATUS and RESTARTS columns of a pod. */
export interface PodSummary {
  ready: string;
  status: string;
  restarts: number;
}

/**
 * Summarizes a pod like kubectl's pod printer: STATUS is the reason of the first init
 * container still at work (`Init:0/1`, `Init:ErrImagePull`), else the waiting or
 * terminated reason of a container (ContainerCreating, CrashLoopBackOff, Completed,
 * Error), `Terminating` once deletion started, else the phase.
 */
export function summarizePod(pod: Pod): PodSummary {
  const spec = pod.spec;
  const status = pod.status;
  const total = spec?.containers.length ?? 0;
  let reason = status?.reason || status?.phase || 'Pending';
  let restarts = 0;
  let ready = 0;
  let initializing = false;
  const inits = status?.initContainerStatuses ?? [];
  for (let i = 0; i < inits.length; i++) {
    const c = inits[i]!;
    restarts += c.restartCount;
    const t = c.state?.terminated;
    const w = c.state?.waiting;
    if (t && t.exitCode === 0) continue;
    if (t) {
      reason = t.reason ? `Init:${t.reason}` : t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode}`;
    } else if (w && w.reason && w.reason !== 'PodInitializing') {
      reason = `Init:${w.reason}`;
    } else {
      reason = `Init:${i}/${spec?.initContainers.length ?? inits.length}`;
    }
    initializing = true;
    break;
  }
  if (!initializing) {
    restarts = 0;
    let hasRunning = false;
    const cs = status?.containerStatuses ?? [];
    for (let i = cs.length - 1; i >= 0; i--) {
      const c = cs[i]!;
      restarts += c.restartCount;
      const w = c.state?.waiting;
      const t = c.state?.terminated;
      if (w?.reason) reason = w.reason;
      else if (t?.reason) reason = t.reason;
      else if (t) reason = t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    // A container that completed while others still run: the pod is running.
    if (reason === 'Completed' && hasRunning) reason = 'Running';
  }
  if (pod.metadata?.deletionTimestamp) reason = status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return { ready: `${ready}/${total}`, status: reason, restarts };
}
