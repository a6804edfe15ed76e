import { describe, expect, it } from 'vitest';
import { Affinity } from '@orchard/api';
import { findPlacement } from './find-placement';
import { GiB, makeNode, makePod } from './fixtures';
import { withPod } from '../snapshot';
import type { NodeInfo } from './types';

/** findPlacement with the registry's plugins working together, as the master runs it. */

describe('findPlacement with every plugin: messages', () => {
  const cases: { name: string; nodes: NodeInfo[]; pod: ReturnType<typeof makePod>; imagePlatforms?: Map<string, string[]>; message: string }[] = [
    {
      name: 'the example of the issue',
      nodes: [
        makeNode({ name: 'a', labels: { disk: 'ssd' }, requestedMemoryBytes: 4 * GiB }),
        makeNode({ name: 'b', labels: { disk: 'ssd' }, requestedMemoryBytes: 3.5 * GiB }),
        makeNode({ name: 'c', labels: { disk: 'hdd' } }),
      ],
      pod: makePod({ memory: '1Gi', nodeSelector: { disk: 'ssd' } }),
      message: "0/3 nodes are available: 2 Insufficient memory, 1 node(s) didn't match Pod's node affinity/selector.",
    },
    {
      name: 'taints, ports and architecture',
      nodes: [
        makeNode({ name: 'a', taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }),
        makeNode({ name: 'b', pods: [makePod({ name: 'proxy', hostPorts: [{ hostPort: 443 }] })] }),
        makeNode({ name: 'c', architecture: 'arm', machine: 'armv6l' }),
        makeNode({ name: 'd', architecture: 'arm', machine: 'armv6l' }),
      ],
      pod: makePod({ images: ['web:1'], hostPorts: [{ hostPort: 443 }] }),
      imagePlatforms: new Map([['web:1', ['linux/arm64', 'linux/arm/v7']]]),
      message:
        "0/4 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, 2 node(s) didn't match the architecture of the pod's images, 1 node(s) had untolerated taint {dedicated: db}.",
    },
    {
      name: 'anti-affinity on the hostname with every node taken',
      nodes: ['a', 'b'].map((n) => makeNode({ name: n, pods: [makePod({ name: `web-${n}`, labels: { app: 'web' } })] })),
      pod: makePod({
        labels: { app: 'web' },
        affinity: Affinity.fromPartial({
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' },
            ],
          },
        }),
      }),
      message: "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules.",
    },
  ];
  it.each(cases)('$name', ({ nodes, pod, imagePlatforms, message }) => {
    expect(findPlacement(pod, { nodes, imagePlatforms })).toMatchObject({ ok: false, message });
  });
});

describe('findPlacement with every plugin: choices', () => {
  it('spreads the replicas of a workload over the nodes', () => {
    const names = ['a', 'b', 'c'];
    let nodes = names.map((name) => makeNode({ name }));
    const placed: string[] = [];
    for (let i = 0; i < 6; i++) {
      const pod = makePod({ name: `web-${i}`, ownerUid: 'rs-1', labels: { app: 'web' }, cpu: '100m', memory: '64Mi' });
      const p = findPlacement(pod, { nodes });
      if (!p.ok) throw new Error(p.message);
      placed.push(p.nodeName);
      // What the master does after binding: a new NodeInfo with the pod and its requests.
      nodes = nodes.map((n) =>
        n.node.metadata?.name === p.nodeName
          ? withPod(n, pod)
          : n,
      );
    }
    expect(names.map((n) => placed.filter((x) => x === n).length)).toEqual([2, 2, 2]);
  });

  it('bin-packing fills one Pi before the next', () => {
    let nodes = ['a', 'b', 'c'].map((name) => makeNode({ name, cpuMillis: 1000, memoryBytes: GiB }));
    const placed: string[] = [];
    for (let i = 0; i < 6; i++) {
      const pod = makePod({ name: `job-${i}`, cpu: '300m', memory: '128Mi', schedulerName: 'bin-packing' });
      const p = findPlacement(pod, { nodes });
      if (!p.ok) throw new Error(p.message);
      placed.push(p.nodeName);
      nodes = nodes.map((n) =>
        n.node.metadata?.name === p.nodeName
          ? withPod(n, pod)
          : n,
      );
    }
    // Three fit on a 1-CPU Pi; the first Pi fills before a second is touched.
    expect(placed.slice(0, 3).every((n) => n === placed[0])).toBe(true);
    expect(placed.slice(3).every((n) => n === placed[3] && n !== placed[0])).toBe(true);
  });

  it('prefers the cool Pi over the throttled one', () => {
    const nodes = [
      makeNode({ name: 'throttled', health: { socTemperatureCelsius: 82, throttled: true } }),
      makeNode({ name: 'cool', health: { socTemperatureCelsius: 48 } }),
    ];
    expect(findPlacement(makePod({ cpu: '100m' }), { nodes })).toMatchObject({ ok: true, nodeName: 'cool' });
  });

  it('honours preferred node affinity over emptiness', () => {
    const nodes = [
      makeNode({ name: 'empty' }),
      makeNode({ name: 'ssd', labels: { disk: 'ssd' }, requestedCpuMillis: 2000, requestedMemoryBytes: 2 * GiB }),
    ];
    const affinity = Affinity.fromPartial({
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 50, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
        ],
      },
    });
    expect(findPlacement(makePod({ cpu: '100m', affinity }), { nodes })).toMatchObject({ ok: true, nodeName: 'ssd' });
  });

  it('avoids a PreferNoSchedule taint when another node fits', () => {
    const nodes = [
      makeNode({ name: 'sd-card', taints: [{ key: 'storage', value: 'slow', effect: 'PreferNoSchedule' }] }),
      makeNode({ name: 'nvme', requestedCpuMillis: 3000 }),
    ];
    expect(findPlacement(makePod({ cpu: '100m' }), { nodes })).toMatchObject({ ok: true, nodeName: 'nvme' });
  });

  it('places an arm-only image on the Pi, not the PC', () => {
    const nodes = [makeNode({ name: 'pc', architecture: 'amd64' }), makeNode({ name: 'pi', architecture: 'arm64', requestedCpuMillis: 3000 })];
    const imagePlatforms = new Map([['arm-only:1', ['linux/arm64']]]);
    expect(findPlacement(makePod({ images: ['arm-only:1'] }), { nodes, imagePlatforms })).toMatchObject({ ok: true, nodeName: 'pi' });
  });
});
