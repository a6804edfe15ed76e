import { BadRequestError, NotFoundError, kindByCase, type ApiObject } from '@orchard/api';

/** Where a logs or exec session goes: the pod's node and one of its containers. */
export interface PodTarget {
  namespace: string;
  pod: string;
  node: string;
  container: string;
}

/** The refusal of a pod that is not placed yet; Kubernetes says the same for logs and exec. */
export class PodNotScheduledError extends BadRequestError {}

/**
 * Resolves the target of a logs or exec request the way kubectl reports problems: a
 * missing pod is NotFound, an unscheduled pod and a container name that is not one of
 * the pod's are bad requests. An empty container name means the pod's only container.
 */
export function resolvePodTarget(obj: ApiObject | undefined, namespace: string, name: string, container: string): PodTarget {
  const pod = obj?.resource?.$case === 'pod' ? obj.resource.pod : undefined;
  if (!pod) throw new NotFoundError('pods', name);
  const node = pod.spec?.nodeName ?? '';
  if (!node) throw new PodNotScheduledError(`pod ${name} has no node yet: it is waiting to be scheduled`);
  const apps = (pod.spec?.containers ?? []).map((c) => c.name);
  const inits = (pod.spec?.initContainers ?? []).map((c) => c.name);
  if (!container) {
    if (apps.length === 1) return { namespace, pod: name, node, container: apps[0]! };
    throw new BadRequestError(`a container name must be specified for pod ${name}, choose one of: [${apps.join(' ')}]`);
  }
  if (!apps.includes(container) && !inits.includes(container)) {
    throw new BadRequestError(`container ${container} is not valid for pod ${name}`);
  }
  return { namespace, pod: name, node, container };
}

/** The pod kind, for store reads. */
export const POD_KIND = kindByCase('pod');
