import { describe, expect, it } from 'vitest';
import { TopologySpreadConstraint } from '@orchard/api';
import { makeNode, makePod } from '../../framework/fixtures';
import { runFilter, runScore } from '../../framework/run-plugin';
import type { NodeInfo } from '../../framework/types';
import {
  ErrReasonConstraintsNotMatch,
  ErrReasonNodeLabelNotMatch,
  podTopologySpreadFilter,
  podTopologySpreadScore,
} from './pod-topology-spread';

const HOST = 'kubernetes.io/hostname';

function spread(maxSkew: number, whenUnsatisfiable = 'DoNotSchedule', topologyKey = HOST): TopologySpreadConstraint {
  return TopologySpreadConstraint.fromPartial({ maxSkew, topologyKey, whenUnsatisfiable, labelSelector: { matchLabels: { app: 'web' } } });
}

function withWebPods(name: string, count: number, extra: Partial<Parameters<typeof makeNode>[0]> = {}): NodeInfo {
  const pods = Array.from({ length: count }, (_, i) => makePod({ name: `${name}-web-${i}`, labels: { app: 'web' } }));
  return makeNode({ name, pods, ...extra });
}

describe('PodTopologySpread filter', () => {
  // Web pods per node: a=2, b=1, c=1 unless the case says otherwise.
  const cases: { name: string; target: string; maxSkew: number; nodes?: NodeInfo[]; labels?: Record<string, string>; reasons: string[] }[] = [
    { name: 'a node at the minimum fits', target: 'b', maxSkew: 1, reasons: [] },
    { name: 'a node one above the minimum does not (skew would be 2)', target: 'a', maxSkew: 1, reasons: [ErrReasonConstraintsNotMatch] },
    { name: 'a larger maxSkew lets it in', target: 'a', maxSkew: 2, reasons: [] },
    {
      name: 'a pod the selector does not match adds nothing',
      target: 'a',
      maxSkew: 1,
      labels: { app: 'batch' },
      reasons: [],
    },
    {
      name: 'an empty Ready node holds the minimum at zero',
      target: 'b',
      maxSkew: 1,
      nodes: [withWebPods('a', 2), withWebPods('b', 1), withWebPods('c', 0)],
      reasons: [ErrReasonConstraintsNotMatch],
    },
    {
      name: 'an empty node that is down does not',
      target: 'b',
      maxSkew: 1,
      nodes: [withWebPods('a', 2), withWebPods('b', 1), withWebPods('c', 0, { ready: 'Unknown' })],
      reasons: [],
    },
    {
      name: 'an empty cordoned node does not either',
      target: 'b',
      maxSkew: 1,
      nodes: [withWebPods('a', 2), withWebPods('b', 1), withWebPods('c', 0, { unschedulable: true })],
      reasons: [],
    },
    {
      name: 'an empty node outside the pod’s nodeSelector does not count',
      target: 'b',
      maxSkew: 1,
      nodes: [withWebPods('a', 2, { labels: { pool: 'x' } }), withWebPods('b', 1, { labels: { pool: 'x' } }), withWebPods('c', 0)],
      reasons: [],
    },
  ];
  it.each(cases)('$name', ({ target, maxSkew, nodes, labels, reasons }) => {
    const ns = nodes ?? [withWebPods('a', 2), withWebPods('b', 1), withWebPods('c', 1)];
    const nodeSelector = ns.some((n) => n.node.metadata?.labels?.pool) ? { pool: 'x' } : undefined;
    const pod = makePod({ labels: labels ?? { app: 'web' }, nodeSelector, topologySpreadConstraints: [spread(maxSkew)] });
    const node = ns.find((n) => n.node.metadata?.name === target)!;
    expect(runFilter(podTopologySpreadFilter(), pod, node, { nodes: ns }).reasons).toEqual(reasons);
  });

  it('a node without the topology label does not fit', () => {
    const ns = [withWebPods('a', 0, { labels: { zone: 'z1' } }), withWebPods('b', 0)];
    const pod = makePod({ labels: { app: 'web' }, topologySpreadConstraints: [spread(1, 'DoNotSchedule', 'zone')] });
    expect(runFilter(podTopologySpreadFilter(), pod, ns[1]!, { nodes: ns }).reasons).toEqual([ErrReasonNodeLabelNotMatch]);
  });

  it('ScheduleAnyway constraints never filter', () => {
    const ns = [withWebPods('a', 5), withWebPods('b', 0)];
    const pod = makePod({ labels: { app: 'web' }, topologySpreadConstraints: [spread(1, 'ScheduleAnyway')] });
    expect(runFilter(podTopologySpreadFilter(), pod, ns[0]!, { nodes: ns }).reasons).toEqual([]);
  });
});

describe('PodTopologySpread score', () => {
  const cases = [
    { name: 'fewer matching pods score higher', counts: [4, 2, 0], scores: [0, 50, 100] },
    { name: 'equal counts score alike', counts: [1, 1, 1], scores: [100, 100, 100] },
  ];
  it.each(cases)('$name', ({ counts, scores }) => {
    const ns = counts.map((c, i) => withWebPods(`n${i}`, c));
    const pod = makePod({ labels: { app: 'web' }, topologySpreadConstraints: [spread(1, 'ScheduleAnyway')] });
    expect(runScore(podTopologySpreadScore(), pod, ns)).toEqual(scores);
  });
});
