import type { Clock, Logger, Pod } from '@orchard/api/agent';
import { runHandler } from '../probes/run-handler';
import type { ContainerDetails, ContainerRuntime } from '../runtime/container-runtime';
import { LABEL_CONTAINER_NAME, LABEL_GRACE_PERIOD } from './container-labels';
import { RUNNING, isInfra } from './observed';

/** What a graceful stop needs to run a container's preStop hook. */
export interface StopHooks {
  pod: Pod;
  /** The pod's IP, for httpGet and tcpSocket hooks. */
  podIP: string;
  clock: Clock;
  logger: Logger;
}

/** The least time SIGTERM gets after a preStop hook used up the grace period (the kubelet's). */
const MIN_GRACE_AFTER_HOOK_SECONDS = 2;

/**
 * Stops one running container the way Kubernetes does: its preStop hook first (when
 * hooks are given and the spec has one), bounded by the grace period, then SIGTERM,
 * then SIGKILL once the rest of the grace period is over (docker stop -t). The
 * container is kept (its exit status and logs stay readable).
 */
export async function stopGracefully(
  runtime: ContainerRuntime,
  c: ContainerDetails,
  graceSeconds: number,
  hooks?: StopHooks,
): Promise<void> {
  let remaining = graceSeconds;
  const name = c.labels[LABEL_CONTAINER_NAME];
  const spec = hooks?.pod.spec?.containers.find((x) => x.name === name);
  const preStop = spec?.lifecycle?.preStop;
  if (hooks && spec && preStop && graceSeconds > 0 && c.state === 'running') {
    const began = hooks.clock.now();
    const outcome = await runHandler(preStop, { runtime, containerId: c.id, container: spec, podIP: hooks.podIP }, graceSeconds * 1000, 'lifecycle.preStop');
    const pod = `${hooks.pod.metadata!.namespace}/${hooks.pod.metadata!.name}`;
    // A failed hook does not keep the container alive: it is stopped all the same.
    if (!outcome.ok) hooks.logger.warn({ pod, container: name }, `FailedPreStopHook: ${outcome.message}`);
    const used = Math.ceil((hooks.clock.now() - began) / 1000);
    remaining = Math.max(MIN_GRACE_AFTER_HOOK_SECONDS, graceSeconds - used);
  }
  await runtime.stopContainer(c.id, remaining);
}

/**
 * Stops a pod's containers and removes them: app containers stop gracefully (preStop
 * hook, SIGTERM, SIGKILL after their grace period); the infra container holds nothing
 * worth a grace period and is removed with the rest.
 * @param grace seconds, or a function of the container (orphans carry theirs as a label).
 * @param hooks the pod, when known, so preStop hooks run (orphans have no spec left).
 */
export async function terminateContainers(
  runtime: ContainerRuntime,
  containers: readonly ContainerDetails[],
  grace: number | ((c: ContainerDetails) => number),
  hooks?: StopHooks,
): Promise<void> {
  const graceOf = typeof grace === 'number' ? () => grace : grace;
  await Promise.all(
    containers.filter((c) => RUNNING.has(c.state) && !isInfra(c)).map((c) => stopGracefully(runtime, c, graceOf(c), hooks)),
  );
  await Promise.all(containers.map((c) => runtime.removeContainer(c.id)));
}

/** The grace period an orphan was created with (its pod is gone), 30 s when unknown. */
export function labelledGrace(c: ContainerDetails): number {
  const n = Number(c.labels[LABEL_GRACE_PERIOD]);
  return Number.isFinite(n) && n >= 0 ? n : 30;
}
