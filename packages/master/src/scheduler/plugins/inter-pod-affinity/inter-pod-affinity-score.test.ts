import { describe, expect, it } from 'vitest';
import { Affinity } from '@orchard/api';
import { makeNode, makePod } from '../../framework/fixtures';
import { runScore } from '../../framework/run-plugin';
import { interPodAffinityScore } from './inter-pod-affinity-score';

const HOST = 'kubernetes.io/hostname';

function preferred(kind: 'podAffinity' | 'podAntiAffinity', app: string, weight = 10, topologyKey = HOST): Affinity {
  const rules = {
    preferredDuringSchedulingIgnoredDuringExecution: [
      { weight, podAffinityTerm: { labelSelector: { matchLabels: { app } }, topologyKey } },
    ],
  };
  return Affinity.fromPartial(kind === 'podAffinity' ? { podAffinity: rules } : { podAntiAffinity: rules });
}

describe('InterPodAffinity score', () => {
  // Nodes: a runs two cache pods, b one, c none.
  const nodes = [
    makeNode({ name: 'a', labels: { zone: 'z1' }, pods: [makePod({ name: 'c1', labels: { app: 'cache' } }), makePod({ name: 'c2', labels: { app: 'cache' } })] }),
    makeNode({ name: 'b', labels: { zone: 'z1' }, pods: [makePod({ name: 'c3', labels: { app: 'cache' } })] }),
    makeNode({ name: 'c', labels: { zone: 'z2' } }),
  ];
  const cases = [
    { name: 'no preferences: every node 0', affinity: undefined, scores: [0, 0, 0] },
    { name: 'preferred affinity: closer to the cache pods scores higher', affinity: preferred('podAffinity', 'cache'), scores: [100, 50, 0] },
    { name: 'preferred anti-affinity: away from them scores higher', affinity: preferred('podAntiAffinity', 'cache'), scores: [0, 50, 100] },
    { name: 'over zones: the whole zone counts', affinity: preferred('podAffinity', 'cache', 5, 'zone'), scores: [100, 100, 0] },
    { name: 'nothing selected anywhere: every node 0', affinity: preferred('podAffinity', 'db'), scores: [0, 0, 0] },
  ];
  it.each(cases)('$name', ({ affinity, scores }) => {
    expect(runScore(interPodAffinityScore(), makePod({ affinity }), nodes)).toEqual(scores);
  });
});
