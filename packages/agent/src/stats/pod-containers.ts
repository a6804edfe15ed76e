import {
  INFRA_CONTAINER_NAME,
  LABEL_CONTAINER_NAME,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
} from '../pods/container-labels';
import type { PodContainers } from './usage-sampler';

/** The part of a container listing the grouping needs (the runtime's ContainerSummary fits). */
export interface LabelledContainer {
  id: string;
  state: string;
  labels: Record<string, string>;
}

/**
 * Groups the node's running containers into pods by their Orchard labels, ready for
 * UsageSampler.sample. Containers without a pod uid are not Orchard's and are skipped;
 * stopped ones use nothing (and a pod keeps its previous attempt's container around for
 * its exit status, which must not be counted).
 */
export function podContainersFromLabels(containers: readonly LabelledContainer[]): PodContainers[] {
  const pods = new Map<string, PodContainers & { containers: PodContainers['containers'][number][] }>();
  for (const c of containers) {
    const uid = c.labels[LABEL_POD_UID];
    if (!uid || c.state !== 'running') continue;
    let pod = pods.get(uid);
    if (!pod) {
      pod = { uid, namespace: c.labels[LABEL_POD_NAMESPACE] ?? '', name: c.labels[LABEL_POD_NAME] ?? '', containers: [] };
      pods.set(uid, pod);
    }
    const name = c.labels[LABEL_CONTAINER_NAME] ?? '';
    pod.containers.push(name === INFRA_CONTAINER_NAME ? { name, id: c.id, infra: true } : { name, id: c.id });
  }
  return [...pods.values()];
}
