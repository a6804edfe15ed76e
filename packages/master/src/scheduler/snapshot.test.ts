import { describe, expect, it } from 'vitest';
import { Node, Pod, wrapNode, wrapPod, type ApiObject } from '@orchard/api';
import { allocatableOf, buildSnapshot, nodeInfo, withPod } from './snapshot';

function node(name: string, status: Partial<Node['status']> = { allocatable: { cpu: '2', memory: '1Gi', pods: '10' } }): ApiObject {
  return wrapNode(Node.fromPartial({ metadata: { name }, status }));
}

function pod(name: string, nodeName: string, cpu: string, phase = 'Running'): Pod {
  return Pod.fromPartial({
    metadata: { name, namespace: 'default' },
    spec: { nodeName, containers: [{ name: 'c', image: 'x', resources: { requests: { cpu, memory: '100Mi' } } }] },
    status: { phase },
  });
}

describe('buildSnapshot', () => {
  it('counts bound and assumed pods, not finished ones, and each pod once', () => {
    const bound = [pod('a', 'n1', '500m'), pod('done', 'n1', '1', 'Succeeded'), pod('failed', 'n1', '1', 'Failed')];
    const assumed = new Map([
      ['pods/default/b', { nodeName: 'n1', pod: pod('b', 'n1', '250m', '') }],
      // Already in the cache: not counted twice.
      ['pods/default/a', { nodeName: 'n1', pod: pod('a', 'n1', '500m') }],
    ]);
    const s = buildSnapshot([node('n1'), node('n2')], (n) => (n === 'n1' ? bound.map(wrapPod) : []), assumed);
    expect(s.nodes.map((n) => [n.node.metadata!.name, n.pods.map((p) => p.metadata!.name), n.requested])).toEqual([
      ['n1', ['a', 'b'], { cpuMillis: 750, memoryBytes: 200 * 1024 * 1024, pods: 2 }],
      ['n2', [], { cpuMillis: 0, memoryBytes: 0, pods: 0 }],
    ]);
  });

  it('counts best-effort pods with 100m and 200Mi for scores (nonZeroRequested), not for filters', () => {
    const bestEffort = Pod.fromPartial({ metadata: { name: 'be', namespace: 'default' }, spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] } });
    const n = Node.fromPartial({ metadata: { name: 'n1' }, status: { allocatable: { cpu: '2', memory: '1Gi' } } });
    const info = nodeInfo(n, [bestEffort, pod('a', 'n1', '500m')]);
    expect(info.requested).toEqual({ cpuMillis: 500, memoryBytes: 100 * 1024 * 1024, pods: 2 });
    expect(info.nonZeroRequested).toEqual({ cpuMillis: 600, memoryBytes: 300 * 1024 * 1024, pods: 2 });
    // withPod keeps both sums in step.
    expect(withPod(info, bestEffort).nonZeroRequested).toEqual({ cpuMillis: 700, memoryBytes: 500 * 1024 * 1024, pods: 3 });
    expect(withPod(info, bestEffort).requested).toEqual({ cpuMillis: 500, memoryBytes: 100 * 1024 * 1024, pods: 3 });
  });

  it('collects the platforms of the images nodes report', () => {
    const s = buildSnapshot(
      [
        node('arm', { images: [{ names: ['web:1'], sizeBytes: 1, platforms: ['linux/arm64'] }] }),
        node('x86', { images: [{ names: ['web:1'], sizeBytes: 1, platforms: ['linux/amd64'] }] }),
      ],
      () => [],
      new Map(),
    );
    expect(s.imagePlatforms?.get('web:1')).toEqual(['linux/arm64', 'linux/amd64']);
  });
});

describe('allocatableOf', () => {
  it.each([
    { name: 'allocatable as reported', status: { allocatable: { cpu: '1500m', memory: '2Gi', pods: '20' } }, want: { cpuMillis: 1500, memoryBytes: 2 * 1024 ** 3, pods: 20 } },
    { name: 'capacity when allocatable is missing', status: { capacity: { cpu: '4', memory: '1Gi' } }, want: { cpuMillis: 4000, memoryBytes: 1024 ** 3, pods: 110 } },
    { name: 'nothing for a garbage quantity', status: { allocatable: { cpu: 'lots', memory: '1Gi' } }, want: { cpuMillis: 0, memoryBytes: 1024 ** 3, pods: 110 } },
    { name: 'nothing for a node without status', status: undefined, want: { cpuMillis: 0, memoryBytes: 0, pods: 110 } },
  ])('$name', ({ status, want }) => {
    expect(allocatableOf(Node.fromPartial({ metadata: { name: 'n' }, status }))).toEqual(want);
  });
});
