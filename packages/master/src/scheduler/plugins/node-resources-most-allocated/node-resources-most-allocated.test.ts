import { describe, expect, it } from 'vitest';
import { GiB, makeNode, makePod } from '../../framework/fixtures';
import { runScore } from '../../framework/run-plugin';
import { mostRequestedScore, nodeResourcesMostAllocated } from './node-resources-most-allocated';

describe('NodeResourcesMostAllocated', () => {
  const cases = [
    { name: 'empty node, 1 of 4 CPUs and 1 of 4 GiB asked: 25', cpu: '1', memory: '1Gi', node: {}, score: 25 },
    {
      name: 'half-used node: 75',
      cpu: '1',
      memory: '1Gi',
      node: { requestedCpuMillis: 2000, requestedMemoryBytes: 2 * GiB },
      score: 75,
    },
    { name: 'more than allocatable counts as full', cpu: '8', memory: '1Gi', node: {}, score: (100 + 25) / 2 },
    {
      name: 'best-effort pods on the node count as 100m and 200Mi each',
      cpu: undefined,
      memory: undefined,
      node: { cpuMillis: 1000, memoryBytes: 1000 * 1024 * 1024, pods: [makePod({ name: 'a' }), makePod({ name: 'b' })] },
      score: (30 + 60) / 2,
    },
  ];
  it.each(cases)('$name', ({ cpu, memory, node, score }) => {
    const [s] = runScore(nodeResourcesMostAllocated(), makePod({ cpu, memory }), [makeNode({ name: 'n1', ...node })]);
    expect(s).toBeCloseTo(score, 9);
  });

  it('a node without the resource scores 0 for it', () => {
    expect(mostRequestedScore(5, 0)).toBe(0);
  });
});
