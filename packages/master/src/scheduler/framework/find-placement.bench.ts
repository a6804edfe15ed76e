/**
 * Micro-benchmark of findPlacement: placements per second of CPU time with 1,000 nodes,
 * in the scheduling loop's pattern (one snapshot per batch, the chosen node's NodeInfo
 * replaced after each placement). Prints figures; asserts nothing.
 *
 *   npx tsx packages/master/src/scheduler/framework/find-placement.bench.ts [--nodes N] [--batch N] [--percentage P]
 *
 * (tsx loads @orchard/api from its build: run `npm run build` first.)
 */
import type { Pod } from '@orchard/api';
import { Affinity, podRequests, TopologySpreadConstraint } from '@orchard/api';
import { findPlacement } from './find-placement';
import { GiB, makeNode, makePod } from './fixtures';
import type { NodeInfo } from './types';

function flag(name: string, fallback: number): number;
function flag(name: string, fallback?: number): number | undefined;
function flag(name: string, fallback?: number): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const NODES = flag('nodes', 1000);
const BATCH = flag('batch', 256);
/** percentageOfNodesToScore; the profile's own (Kubernetes' adaptive rule) when not given. */
const PERCENTAGE = flag('percentage');
const PODS_PER_NODE = 10;

/** Half arm64 Pi 4s, half 32-bit Pi OS boards, each already running ten pods of twenty workloads. */
function cluster(): NodeInfo[] {
  return Array.from({ length: NODES }, (_, i) => {
    const arm64 = i % 2 === 1;
    const pods = Array.from({ length: PODS_PER_NODE }, (_, j) =>
      makePod({ name: `old-${i}-${j}`, ownerUid: `rs-${j % 20}`, labels: { app: `app-${j % 20}` }, images: ['web:1'], cpu: '100m', memory: '128Mi' }),
    );
    return makeNode({
      name: `pi-${i}`,
      cpuMillis: 16_000,
      memoryBytes: 16 * GiB,
      labels: { 'kubernetes.io/arch': arm64 ? 'arm64' : 'arm' },
      architecture: arm64 ? 'arm64' : 'arm',
      machine: arm64 ? 'aarch64' : 'armv7l',
      pods,
      requestedCpuMillis: 100 * PODS_PER_NODE,
      requestedMemoryBytes: 128 * 1024 * 1024 * PODS_PER_NODE,
      health: { socTemperatureCelsius: 45 + (i % 30) },
    });
  });
}

const imagePlatforms = new Map([['web:1', ['linux/arm64', 'linux/arm/v7']]]);

function withPod(info: NodeInfo, pod: Pod): NodeInfo {
  const r = podRequests(pod);
  return {
    ...info,
    pods: [...info.pods, pod],
    requested: {
      cpuMillis: info.requested.cpuMillis + r.cpuMillis,
      memoryBytes: info.requested.memoryBytes + r.memoryBytes,
      pods: info.requested.pods + 1,
    },
    // The benchmark's pods all request CPU and memory: their non-zero requests are the same.
    nonZeroRequested: {
      cpuMillis: info.nonZeroRequested.cpuMillis + r.cpuMillis,
      memoryBytes: info.nonZeroRequested.memoryBytes + r.memoryBytes,
      pods: info.nonZeroRequested.pods + 1,
    },
  };
}

/** Best of three runs, in CPU time (the machine may be shared). */
function run(label: string, count: number, podFor: (i: number) => Pod): void {
  const base = cluster();
  const pods = Array.from({ length: count }, (_, i) => podFor(i));
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    let current = base;
    const t0 = process.cpuUsage();
    for (let b = 0; b < count; b += BATCH) {
      const infos = [...current];
      const indexOf = new Map(infos.map((n, i) => [n.node.metadata?.name ?? '', i]));
      for (const pod of pods.slice(b, b + BATCH)) {
        const p = findPlacement(pod, { nodes: infos, imagePlatforms }, { percentageOfNodesToScore: PERCENTAGE });
        if (!p.ok) throw new Error(`${label}: ${p.message}`);
        const i = indexOf.get(p.nodeName)!;
        infos[i] = withPod(infos[i]!, pod);
      }
      current = infos;
    }
    const used = process.cpuUsage(t0);
    best = Math.min(best, (used.user + used.system) / 1e6);
  }
  const rate = Math.round(count / best);
  console.log(`${label.padEnd(52)} ${String(rate).padStart(6)} placements/s  ${((best / count) * 1e6).toFixed(0).padStart(5)} µs each`);
}

const hostname = 'kubernetes.io/hostname';
const antiAffinity = Affinity.fromPartial({
  podAntiAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'solo' } }, topologyKey: hostname }],
  },
});
const spread = TopologySpreadConstraint.fromPartial({
  maxSkew: 1,
  topologyKey: hostname,
  whenUnsatisfiable: 'DoNotSchedule',
  labelSelector: { matchLabels: { app: 'spread' } },
});
const replica = (i: number, schedulerName?: string) =>
  makePod({ name: `web-${i}`, ownerUid: 'rs-web', labels: { app: 'web' }, images: ['web:1'], cpu: '100m', memory: '128Mi', schedulerName });

const examined = PERCENTAGE === undefined ? 'adaptive' : `${PERCENTAGE}%`;
console.log(`findPlacement, ${NODES} nodes, ${NODES * PODS_PER_NODE} pods placed already, batches of ${BATCH}, nodes examined: ${examined}`);
run('Deployment replicas (default profile)', 6000, (i) => replica(i));
run('Deployment replicas (bin-packing profile)', 6000, (i) => replica(i, 'bin-packing'));
run('nodeSelector kubernetes.io/arch=arm64 + hostPort', 3000, (i) =>
  makePod({ name: `agent-${i}`, nodeSelector: { 'kubernetes.io/arch': 'arm64' }, hostPorts: [{ hostPort: 10_000 + i }], cpu: '10m' }),
);
run('required anti-affinity on the hostname', Math.min(900, NODES - 1), (i) =>
  makePod({ name: `solo-${i}`, labels: { app: 'solo' }, affinity: antiAffinity, cpu: '10m' }),
);
run('topology spread on the hostname (DoNotSchedule)', 1000, (i) =>
  makePod({ name: `spread-${i}`, labels: { app: 'spread' }, topologySpreadConstraints: [spread], cpu: '10m' }),
);
