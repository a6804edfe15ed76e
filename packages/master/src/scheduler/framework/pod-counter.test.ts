import { describe, expect, it } from 'vitest';
import { LabelSelector } from '@orchard/api';
import { makeNode, makePod } from './fixtures';
import { PodCounter } from './pod-counter';

describe('PodCounter', () => {
  // Being deleted: never counted, whichever way the count is made.
  const leaving = makePod({ name: 'w0', labels: { app: 'web', tier: 'front' } });
  leaving.metadata!.deletionTimestamp = '2026-01-01T00:00:00Z';
  const node = makeNode({
    name: 'n1',
    pods: [
      makePod({ name: 'w1', labels: { app: 'web', tier: 'front' } }),
      makePod({ name: 'w2', labels: { app: 'web', tier: 'back' } }),
      makePod({ name: 'w3', labels: { app: 'web' }, namespace: 'other' }),
      makePod({ name: 'd1', labels: { app: 'db' } }),
      leaving,
    ],
  });
  const cases: { name: string; selector: LabelSelector | undefined; namespaces: string[]; count: number }[] = [
    { name: 'one matchLabels entry: counted from the index', selector: LabelSelector.fromPartial({ matchLabels: { app: 'web' } }), namespaces: ['default'], count: 2 },
    { name: 'several namespaces add up', selector: LabelSelector.fromPartial({ matchLabels: { app: 'web' } }), namespaces: ['default', 'other'], count: 3 },
    { name: 'two matchLabels entries: pods scanned', selector: LabelSelector.fromPartial({ matchLabels: { app: 'web', tier: 'front' } }), namespaces: ['default'], count: 1 },
    { name: 'a label no pod has: zero without a scan', selector: LabelSelector.fromPartial({ matchLabels: { app: 'cache' } }), namespaces: ['default'], count: 0 },
    {
      name: 'matchLabels with expressions',
      selector: LabelSelector.fromPartial({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }),
      namespaces: ['default'],
      count: 1,
    },
    {
      name: 'expressions only',
      selector: LabelSelector.fromPartial({ matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'db'] }] }),
      namespaces: ['default'],
      count: 3,
    },
    { name: 'an empty selector selects every pod of the namespace', selector: LabelSelector.fromPartial({}), namespaces: ['default'], count: 3 },
    { name: 'an absent selector selects nothing', selector: undefined, namespaces: ['default'], count: 0 },
  ];
  it.each(cases)('$name', ({ selector, namespaces, count }) => {
    expect(new PodCounter(selector, namespaces, [node]).count(0, node)).toBe(count);
  });
});
