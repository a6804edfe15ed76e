import { describe, expect, it } from 'vitest';
import { GiB, makeNode, makePod } from '../../framework/fixtures';
import { runScore } from '../../framework/run-plugin';
import { leastRequestedScore, nodeResourcesLeastAllocated } from './node-resources-least-allocated';

describe('NodeResourcesLeastAllocated', () => {
  const cases = [
    { name: 'empty node, 1 of 4 CPUs and 1 of 4 GiB asked: 75', cpu: '1', memory: '1Gi', node: {}, score: 75 },
    {
      name: 'half-used node: 25',
      cpu: '1',
      memory: '1Gi',
      node: { requestedCpuMillis: 2000, requestedMemoryBytes: 2 * GiB },
      score: 25,
    },
    { name: 'overcommitted resource scores 0 for it', cpu: '8', memory: '1Gi', node: {}, score: (0 + 75) / 2 },
    {
      name: 'no requests count as 100m and 200Mi',
      node: { cpuMillis: 1000, memoryBytes: 1000 * 1024 * 1024 },
      score: (90 + 80) / 2,
    },
    {
      name: 'best-effort pods on the node count as 100m and 200Mi each',
      node: { cpuMillis: 1000, memoryBytes: 1000 * 1024 * 1024, pods: [makePod({ name: 'a' }), makePod({ name: 'b' })] },
      score: (70 + 40) / 2,
    },
  ];
  it.each(cases)('$name', ({ cpu, memory, node, score }) => {
    const [s] = runScore(nodeResourcesLeastAllocated(), makePod({ cpu, memory }), [makeNode({ name: 'n1', ...node })]);
    expect(s).toBeCloseTo(score, 9);
  });

  it('a node without the resource scores 0 for it', () => {
    expect(leastRequestedScore(0, 0)).toBe(0);
  });
});
