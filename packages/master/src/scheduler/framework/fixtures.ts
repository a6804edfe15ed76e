import type { Affinity, NodeHealth, Toleration, TopologySpreadConstraint } from '@orchard/api';
import { Node, Pod, Taint } from '@orchard/api';
import { scoringRequest } from '../plugins/node-resources-fit/scoring-request';
import type { NodeInfo } from './types';

/** Test fixtures: pods and nodes described by the few fields a scheduling test cares about. */

export interface PodOptions {
  name?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  /** Requests of the single container, as quantities ("500m", "1Gi"). */
  cpu?: string;
  memory?: string;
  images?: string[];
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Partial<Toleration>[];
  affinity?: Affinity;
  topologySpreadConstraints?: TopologySpreadConstraint[];
  hostPorts?: { hostPort: number; containerPort?: number; protocol?: string; hostIP?: string }[];
  hostNetwork?: boolean;
  /** Controller owner (e.g. a ReplicaSet) by uid. */
  ownerUid?: string;
  schedulerName?: string;
}

/** A pod with one container per image (one "app" container by default). */
export function makePod(o: PodOptions = {}): Pod {
  const requests: Record<string, string> = {};
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  const images = o.images ?? ['app:1'];
  return Pod.fromPartial({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: o.name ?? 'pod',
      namespace: o.namespace ?? 'default',
      uid: o.uid ?? `uid-${o.name ?? 'pod'}`,
      labels: o.labels ?? {},
      ownerReferences: o.ownerUid
        ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: o.ownerUid, controller: true }]
        : [],
    },
    spec: {
      nodeName: o.nodeName ?? '',
      nodeSelector: o.nodeSelector ?? {},
      tolerations: o.tolerations ?? [],
      affinity: o.affinity,
      topologySpreadConstraints: o.topologySpreadConstraints ?? [],
      hostNetwork: o.hostNetwork ?? false,
      schedulerName: o.schedulerName ?? '',
      containers: images.map((image, i) => ({
        name: `c${i}`,
        image,
        resources: { requests: i === 0 ? requests : {} },
        ports:
          i === 0
            ? (o.hostPorts ?? []).map((p) => ({
                containerPort: p.containerPort ?? p.hostPort,
                hostPort: p.hostPort,
                protocol: p.protocol ?? 'TCP',
                hostIp: p.hostIP ?? '',
              }))
            : [],
      })),
    },
  });
}

export interface NodeOptions {
  name: string;
  cpuMillis?: number;
  memoryBytes?: number;
  maxPods?: number;
  /** Already requested on the node; pods' own requests are not summed (the master does that). */
  requestedCpuMillis?: number;
  requestedMemoryBytes?: number;
  /**
   * As scores count it (NodeInfo.nonZeroRequested); by default the requested values above, or
   * when those are not given, the pods' requests with 100m/200Mi for what a pod leaves unsaid.
   */
  nonZeroRequestedCpuMillis?: number;
  nonZeroRequestedMemoryBytes?: number;
  pods?: Pod[];
  labels?: Record<string, string>;
  taints?: Partial<Taint>[];
  /** Status of the Ready condition; undefined leaves the node without conditions. */
  ready?: 'True' | 'False' | 'Unknown' | undefined;
  unschedulable?: boolean;
  architecture?: string;
  machine?: string;
  health?: NodeHealth;
}

export const GiB = 1024 * 1024 * 1024;

/** A Ready node with 4 CPUs, 4 GiB and room for 110 pods unless told otherwise. */
export function makeNode(o: NodeOptions): NodeInfo {
  const pods = o.pods ?? [];
  const node = Node.fromPartial({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: o.name, labels: { 'kubernetes.io/hostname': o.name, ...(o.labels ?? {}) } },
    spec: { unschedulable: o.unschedulable ?? false, taints: (o.taints ?? []).map((t) => Taint.fromPartial(t)) },
    status: {
      conditions: 'ready' in o && o.ready === undefined ? [] : [{ type: 'Ready', status: o.ready ?? 'True' }],
      nodeInfo: { architecture: o.architecture ?? '', machine: o.machine ?? '' },
      health: o.health,
    },
  });
  return {
    node,
    pods,
    allocatable: { cpuMillis: o.cpuMillis ?? 4000, memoryBytes: o.memoryBytes ?? 4 * GiB, pods: o.maxPods ?? 110 },
    requested: {
      cpuMillis: o.requestedCpuMillis ?? 0,
      memoryBytes: o.requestedMemoryBytes ?? 0,
      pods: pods.length,
    },
    nonZeroRequested: {
      cpuMillis: o.nonZeroRequestedCpuMillis ?? o.requestedCpuMillis ?? sum(pods, (p) => scoringRequest(p).cpuMillis),
      memoryBytes: o.nonZeroRequestedMemoryBytes ?? o.requestedMemoryBytes ?? sum(pods, (p) => scoringRequest(p).memoryBytes),
      pods: pods.length,
    },
  };
}

function sum<T>(items: readonly T[], f: (x: T) => number): number {
  let total = 0;
  for (const x of items) total += f(x);
  return total;
}
