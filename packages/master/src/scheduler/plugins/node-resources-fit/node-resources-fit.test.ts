import { describe, expect, it } from 'vitest';
import { GiB, makeNode, makePod } from '../../framework/fixtures';
import { runFilter } from '../../framework/run-plugin';
import {
  ErrReasonInsufficientCpu,
  ErrReasonInsufficientMemory,
  ErrReasonTooManyPods,
  nodeResourcesFit,
} from './node-resources-fit';

describe('NodeResourcesFit', () => {
  const cases = [
    { name: 'fits an empty node', cpu: '1', memory: '1Gi', node: {}, reasons: [] },
    { name: 'fits exactly what is left', cpu: '1', memory: '1Gi', node: { requestedCpuMillis: 3000, requestedMemoryBytes: 3 * GiB }, reasons: [] },
    { name: 'one millicore too many', cpu: '1001m', node: { requestedCpuMillis: 3000 }, reasons: [ErrReasonInsufficientCpu] },
    { name: 'memory short', memory: '2Gi', node: { requestedMemoryBytes: 3 * GiB }, reasons: [ErrReasonInsufficientMemory] },
    {
      name: 'both short: both reasons',
      cpu: '8',
      memory: '8Gi',
      node: {},
      reasons: [ErrReasonInsufficientCpu, ErrReasonInsufficientMemory],
    },
    { name: 'pod count full', node: { maxPods: 0 }, reasons: [ErrReasonTooManyPods] },
    {
      name: 'no requests only counts pods, even on an overcommitted node',
      node: { requestedCpuMillis: 9000, requestedMemoryBytes: 9 * GiB },
      reasons: [],
    },
    {
      name: 'everything short, Kubernetes order',
      cpu: '5',
      memory: '5Gi',
      node: { maxPods: 0 },
      reasons: [ErrReasonTooManyPods, ErrReasonInsufficientCpu, ErrReasonInsufficientMemory],
    },
  ];
  it.each(cases)('$name', ({ cpu, memory, node, reasons }) => {
    const status = runFilter(nodeResourcesFit(), makePod({ cpu, memory }), makeNode({ name: 'n1', ...node }));
    expect(status.reasons).toEqual(reasons);
  });
});
