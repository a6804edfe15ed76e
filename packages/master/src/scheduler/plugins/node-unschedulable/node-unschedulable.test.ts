import { describe, expect, it } from 'vitest';
import type { Toleration } from '@orchard/api';
import { makeNode, makePod } from '../../framework/fixtures';
import { runFilter } from '../../framework/run-plugin';
import { ErrReasonUnschedulable, nodeUnschedulable } from './node-unschedulable';

describe('NodeUnschedulable', () => {
  const cases: { name: string; unschedulable: boolean; tolerations?: Partial<Toleration>[]; reasons: string[] }[] = [
    { name: 'schedulable node fits', unschedulable: false, reasons: [] },
    { name: 'cordoned node does not fit', unschedulable: true, reasons: [ErrReasonUnschedulable] },
    {
      name: 'cordoned node fits a pod tolerating the unschedulable taint',
      unschedulable: true,
      tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
      reasons: [],
    },
    {
      name: 'a toleration of another key does not help',
      unschedulable: true,
      tolerations: [{ key: 'dedicated', operator: 'Exists' }],
      reasons: [ErrReasonUnschedulable],
    },
    {
      name: 'tolerate-everything (empty key, Exists) helps',
      unschedulable: true,
      tolerations: [{ operator: 'Exists' }],
      reasons: [],
    },
  ];
  it.each(cases)('$name', ({ unschedulable, tolerations, reasons }) => {
    const status = runFilter(nodeUnschedulable(), makePod({ tolerations }), makeNode({ name: 'n1', unschedulable }));
    expect(status.reasons).toEqual(reasons);
  });
});
