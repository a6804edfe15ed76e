import type { ContainerDetails, ContainerRuntime } from '../runtime/container-runtime';
import { LABEL_GRACE_PERIOD } from './container-labels';
import { RUNNING, isInfra } from './observed';

/**
 * Stops a pod's containers and removes them: app containers get SIGTERM and, after
 * their grace period, SIGKILL (docker stop -t); the infra container holds nothing worth
 * a grace period and is removed with the rest.
 * @param grace seconds, or a function of the container (orphans carry theirs as a label).
 */
export async function terminateContainers(
  runtime: ContainerRuntime,
  containers: readonly ContainerDetails[],
  grace: number | ((c: ContainerDetails) => number),
): Promise<void> {
  const graceOf = typeof grace === 'number' ? () => grace : grace;
  await Promise.all(
    containers.filter((c) => RUNNING.has(c.state) && !isInfra(c)).map((c) => runtime.stopContainer(c.id, graceOf(c))),
  );
  await Promise.all(containers.map((c) => runtime.removeContainer(c.id)));
}

/** The grace period an orphan was created with (its pod is gone), 30 s when unknown. */
export function labelledGrace(c: ContainerDetails): number {
  const n = Number(c.labels[LABEL_GRACE_PERIOD]);
  return Number.isFinite(n) && n >= 0 ? n : 30;
}
