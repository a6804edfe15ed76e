import type { ContainerDetails, ContainerRuntime } from '../runtime/container-runtime';
import { LABEL_CONTAINER_NAME, LABEL_NODE, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from '../pods/container-labels';

/** A request that cannot be served as asked; its message is the user's answer. */
export class SessionRequestError extends Error {}

/**
 * The Docker containers of one container of a pod, newest first: the current instance,
 * then the previous one (the reconciler keeps it after a restart for its exit status
 * and logs). Only the newest pod of that name counts: a pod deleted and created again
 * has a new uid, and the old one's containers are not its history.
 */
export async function containerInstances(
  runtime: ContainerRuntime,
  node: string,
  namespace: string,
  pod: string,
  container: string,
): Promise<ContainerDetails[]> {
  const found = await runtime.listContainers({ [LABEL_NODE]: node, [LABEL_POD_NAMESPACE]: namespace, [LABEL_POD_NAME]: pod, [LABEL_CONTAINER_NAME]: container });
  const details = await Promise.all(found.map((c) => runtime.inspectContainer(c.id).catch(() => undefined)));
  const all = details.filter((d): d is ContainerDetails => d !== undefined).sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  const uid = all[0]?.labels[LABEL_POD_UID];
  return all.filter((c) => c.labels[LABEL_POD_UID] === uid);
}

/** The instance whose logs to read: the current one, or with `previous` the one before it. */
export function logsInstance(instances: readonly ContainerDetails[], pod: string, container: string, previous: boolean): ContainerDetails {
  if (previous) {
    const prev = instances[1];
    if (!prev) throw new SessionRequestError(`previous terminated container "${container}" in pod "${pod}" not found`);
    return prev;
  }
  const current = instances[0];
  if (!current) throw new SessionRequestError(`container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`);
  return current;
}

/** The instance to run a command in: the current one, which must be running. */
export function execInstance(instances: readonly ContainerDetails[], pod: string, container: string): ContainerDetails {
  const current = instances[0];
  if (!current) throw new SessionRequestError(`container "${container}" in pod "${pod}" is waiting to start: ContainerCreating`);
  if (current.state !== 'running') {
    throw new SessionRequestError(`cannot exec into container "${container}" in pod "${pod}": it is not running (${current.state})`);
  }
  return current;
}
