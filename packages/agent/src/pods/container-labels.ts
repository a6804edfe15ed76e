import type { Pod } from '@orchard/api/agent';

/**
 * Labels on every Docker container the agent owns. They name the container's pod and
 * spec hash, so an agent that restarts finds and adopts its containers instead of
 * recreating them.
 */
export const LABEL_POD_UID = 'io.orchard.pod.uid';
export const LABEL_POD_NAME = 'io.orchard.pod.name';
export const LABEL_POD_NAMESPACE = 'io.orchard.pod.namespace';
export const LABEL_CONTAINER_NAME = 'io.orchard.container.name';
export const LABEL_SPEC_HASH = 'io.orchard.spec.hash';
export const LABEL_NODE = 'io.orchard.node';
/** How many times this container of the pod was started before: the restart count. */
export const LABEL_ATTEMPT = 'io.orchard.container.attempt';
/** The pod's grace period, kept so an orphan (pod gone while the agent was down) stops gracefully. */
export const LABEL_GRACE_PERIOD = 'io.orchard.pod.termination-grace-period';

/** The container name of a pod's infra container, which owns the network namespace. */
export const INFRA_CONTAINER_NAME = 'POD';

/** The labels that mark a container as owned by the agent of nodeName. */
export function nodeSelectorLabels(nodeName: string): Record<string, string> {
  return { [LABEL_NODE]: nodeName };
}

/** The labels of one container of a pod. */
export function containerLabels(
  pod: Pod,
  nodeName: string,
  containerName: string,
  specHash: string,
  attempt: number,
): Record<string, string> {
  const meta = pod.metadata!;
  return {
    [LABEL_POD_UID]: meta.uid,
    [LABEL_POD_NAME]: meta.name,
    [LABEL_POD_NAMESPACE]: meta.namespace,
    [LABEL_CONTAINER_NAME]: containerName,
    [LABEL_SPEC_HASH]: specHash,
    [LABEL_NODE]: nodeName,
    [LABEL_ATTEMPT]: String(attempt),
    [LABEL_GRACE_PERIOD]: String(gracePeriodSeconds(pod)),
  };
}

/**
 * The Docker name of one container of a pod: orchard_<ns>_<pod>_<container>_<uid8>_<attempt>.
 * The attempt keeps names unique while the previous container is kept for its exit
 * status and logs.
 */
export function containerName(pod: Pod, containerName: string, attempt: number): string {
  const meta = pod.metadata!;
  return `orchard_${meta.namespace}_${meta.name}_${containerName}_${meta.uid.replace(/-/g, '').slice(0, 8)}_${attempt}`;
}

/** The pod's termination grace period in seconds (deletion's override first, default 30 s). */
export function gracePeriodSeconds(pod: Pod): number {
  const meta = pod.metadata;
  if (meta?.deletionTimestamp && meta.deletionGracePeriodSeconds !== undefined) {
    return Number(meta.deletionGracePeriodSeconds);
  }
  const spec = pod.spec?.terminationGracePeriodSeconds;
  return spec === undefined ? 30 : Number(spec);
}

/** The attempt number a container carries, 0 when the label is missing or malformed. */
export function attemptOf(labels: Readonly<Record<string, string>>): number {
  const n = Number.parseInt(labels[LABEL_ATTEMPT] ?? '', 10);
  return Number.isFinite(n) && n >= 0 ? n : 0;
}
