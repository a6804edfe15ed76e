import { describe, expect, it } from 'vitest';
import type { PodOptions } from '../../framework/fixtures';
import { makeNode, makePod } from '../../framework/fixtures';
import { runScore } from '../../framework/run-plugin';
import { selectorSpread, spreadKey } from './selector-spread';

describe('SelectorSpread', () => {
  const rs: PodOptions = { ownerUid: 'rs-1', labels: { app: 'web', 'pod-template-hash': 'abc' } };
  const cases: { name: string; pod: PodOptions; perNode: PodOptions[][]; scores: number[] }[] = [
    {
      name: 'replicas of the same owner spread: fewer scores higher',
      pod: rs,
      perNode: [[rs, rs], [rs], []],
      scores: [0, 50, 100],
    },
    {
      name: 'pods of another owner do not count',
      pod: rs,
      perNode: [[{ ...rs, ownerUid: 'rs-2' }], [], []],
      scores: [100, 100, 100],
    },
    {
      name: 'bare pods spread by identical labels in the namespace',
      pod: { labels: { app: 'web' } },
      perNode: [[{ labels: { app: 'web' } }], [{ labels: { app: 'web' }, namespace: 'other' }], [{ labels: { app: 'web', v: '2' } }]],
      scores: [0, 100, 100],
    },
    {
      name: 'a bare pod without labels has nothing to spread from',
      pod: {},
      perNode: [[{}], [], []],
      scores: [0, 0, 0],
    },
  ];
  it.each(cases)('$name', ({ pod, perNode, scores }) => {
    const nodes = perNode.map((pods, i) =>
      makeNode({ name: `n${i}`, pods: pods.map((o, j) => makePod({ ...o, name: `p${i}-${j}` })) }),
    );
    expect(runScore(selectorSpread(), makePod(pod), nodes)).toEqual(scores);
  });

  it('a replica being deleted does not count', () => {
    const leaving = makePod({ ...rs, name: 'leaving' });
    leaving.metadata!.deletionTimestamp = '2026-01-01T00:00:00Z';
    const nodes = [makeNode({ name: 'a', pods: [leaving] }), makeNode({ name: 'b', pods: [makePod({ ...rs, name: 'staying' })] })];
    expect(runScore(selectorSpread(), makePod(rs), nodes)).toEqual([100, 0]);
  });

  it('keys do not depend on label order', () => {
    expect(spreadKey(makePod({ labels: { b: '2', a: '1' } }))).toBe(spreadKey(makePod({ labels: { a: '1', b: '2' } })));
  });
});
