import type { ContainerDetails } from '../runtime/container-runtime';
import { INFRA_CONTAINER_NAME, LABEL_CONTAINER_NAME, attemptOf } from './container-labels';

/** Engine states in which a container's process exists. */
export const RUNNING: ReadonlySet<string> = new Set(['running', 'paused', 'restarting']);

export function isInfra(c: ContainerDetails): boolean {
  return c.labels[LABEL_CONTAINER_NAME] === INFRA_CONTAINER_NAME;
}

/** A pod's app containers by spec name, newest attempt first. */
export function groupApps(observed: readonly ContainerDetails[]): Map<string, ContainerDetails[]> {
  const groups = new Map<string, ContainerDetails[]>();
  for (const c of observed) {
    if (isInfra(c)) continue;
    const name = c.labels[LABEL_CONTAINER_NAME] ?? '';
    const list = groups.get(name) ?? [];
    list.push(c);
    groups.set(name, list);
  }
  for (const list of groups.values()) {
    list.sort((a, b) => attemptOf(b.labels) - attemptOf(a.labels) || b.createdAt.localeCompare(a.createdAt));
  }
  return groups;
}

/** An order-independent summary of containers and their states. */
export function signature(containers: ReadonlyArray<{ id: string; state: string }>): string {
  return containers
    .map((c) => `${c.id}:${c.state}`)
    .sort()
    .join(',');
}
