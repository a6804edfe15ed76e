import { parseCpuMillis, parseMemoryBytes, podRequests, type ApiObject, type Node, type Pod } from '@orchard/api';
import type { ClusterSnapshot, NodeInfo, Resources } from './framework/types';
import { DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST } from './plugins/node-resources-fit/scoring-request';

/** Kubernetes' default pod capacity of a node that reports none. */
const DEFAULT_MAX_PODS = 110;

/**
 * Builds the scheduler's view of the cluster: every node (the plugins decide which can
 * take pods) with the pods bound to it, including bindings assumed but not yet seen in
 * the cache. Pods that finished (Succeeded, Failed) no longer hold resources.
 */
export function buildSnapshot(
  nodes: Iterable<ApiObject>,
  podsOn: (nodeName: string) => readonly ApiObject[],
  assumed: ReadonlyMap<string, { readonly nodeName: string; readonly pod: Pod }>,
): ClusterSnapshot {
  const assumedByNode = new Map<string, Array<[string, Pod]>>();
  for (const [key, a] of assumed) {
    let list = assumedByNode.get(a.nodeName);
    if (!list) assumedByNode.set(a.nodeName, (list = []));
    list.push([key, a.pod]);
  }
  const infos: NodeInfo[] = [];
  const imagePlatforms = new Map<string, string[]>();
  for (const o of nodes) {
    if (o.resource?.$case !== 'node') continue;
    const node = o.resource.node;
    const name = node.metadata?.name ?? '';
    const pods: Pod[] = [];
    const extra = assumedByNode.get(name);
    // Keys are needed only to tell assumed pods the cache already shows (most nodes have none).
    const seen = extra ? new Set<string>() : undefined;
    for (const p of podsOn(name)) {
      if (p.resource?.$case !== 'pod') continue;
      const pod = p.resource.pod;
      if (isTerminal(pod)) continue;
      seen?.add(`pods/${pod.metadata?.namespace}/${pod.metadata?.name}`);
      pods.push(pod);
    }
    for (const [key, pod] of extra ?? []) if (!seen!.has(key)) pods.push(pod);
    infos.push(nodeInfo(node, pods));
    for (const img of node.status?.images ?? []) {
      if (img.platforms.length === 0) continue;
      for (const ref of img.names) {
        const known = imagePlatforms.get(ref) ?? [];
        for (const pl of img.platforms) if (!known.includes(pl)) known.push(pl);
        imagePlatforms.set(ref, known);
      }
    }
  }
  return { nodes: infos, imagePlatforms };
}

/** A NodeInfo for a node running `pods`. */
export function nodeInfo(node: Node, pods: readonly Pod[]): NodeInfo {
  let cpuMillis = 0;
  let memoryBytes = 0;
  let nonZeroCpu = 0;
  let nonZeroMemory = 0;
  for (const p of pods) {
    const r = safeRequests(p);
    cpuMillis += r.cpuMillis;
    memoryBytes += r.memoryBytes;
    nonZeroCpu += nonZeroCpuMillis(r);
    nonZeroMemory += nonZeroMemoryBytes(r);
  }
  return {
    node,
    pods,
    allocatable: allocatableOf(node),
    requested: { cpuMillis, memoryBytes, pods: pods.length },
    nonZeroRequested: { cpuMillis: nonZeroCpu, memoryBytes: nonZeroMemory, pods: pods.length },
  };
}

/** The node with one more pod: a new NodeInfo (plugins cache by the identity of `pods`). */
export function withPod(info: NodeInfo, pod: Pod): NodeInfo {
  const r = safeRequests(pod);
  return {
    node: info.node,
    pods: [...info.pods, pod],
    allocatable: info.allocatable,
    requested: {
      cpuMillis: info.requested.cpuMillis + r.cpuMillis,
      memoryBytes: info.requested.memoryBytes + r.memoryBytes,
      pods: info.requested.pods + 1,
    },
    nonZeroRequested: {
      cpuMillis: info.nonZeroRequested.cpuMillis + nonZeroCpuMillis(r),
      memoryBytes: info.nonZeroRequested.memoryBytes + nonZeroMemoryBytes(r),
      pods: info.nonZeroRequested.pods + 1,
    },
  };
}

// Kubernetes' GetNonzeroRequests: what a pod occupies when scores compare nodes.
function nonZeroCpuMillis(r: { cpuMillis: number }): number {
  return r.cpuMillis > 0 ? r.cpuMillis : DEFAULT_MILLI_CPU_REQUEST;
}

function nonZeroMemoryBytes(r: { memoryBytes: number }): number {
  return r.memoryBytes > 0 ? r.memoryBytes : DEFAULT_MEMORY_REQUEST;
}

/**
 * Parsed requests and allocatable, per object. The cache's objects are never mutated (a
 * change is a new object), so a parse holds as long as its object lives; a snapshot per
 * batch otherwise parses every bound pod's quantities again.
 */
const requestsMemo = new WeakMap<Pod, { cpuMillis: number; memoryBytes: number }>();
const allocatableMemo = new WeakMap<Node, Resources>();

/** What a node offers; falls back to capacity when allocatable is not reported. */
export function allocatableOf(node: Node): Resources {
  let r = allocatableMemo.get(node);
  if (!r) allocatableMemo.set(node, (r = parseAllocatable(node)));
  return r;
}

function parseAllocatable(node: Node): Resources {
  const a = { ...(node.status?.capacity ?? {}), ...(node.status?.allocatable ?? {}) };
  return {
    cpuMillis: quantity(a.cpu, parseCpuMillis, 0),
    memoryBytes: quantity(a.memory, parseMemoryBytes, 0),
    pods: quantity(a.pods, Number, DEFAULT_MAX_PODS),
  };
}

function quantity(v: string | undefined, parse: (s: string) => number, fallback: number): number {
  if (v === undefined || v === '') return fallback;
  try {
    const n = parse(v);
    return Number.isFinite(n) ? n : fallback;
  } catch {
    // An agent that reports garbage offers nothing rather than crashing the scheduler.
    return 0;
  }
}

function safeRequests(pod: Pod): { cpuMillis: number; memoryBytes: number } {
  let r = requestsMemo.get(pod);
  if (r) return r;
  try {
    r = podRequests(pod);
  } catch {
    r = { cpuMillis: 0, memoryBytes: 0 };
  }
  requestsMemo.set(pod, r);
  return r;
}

export function isTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}
