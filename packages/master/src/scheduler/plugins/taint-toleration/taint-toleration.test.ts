import { describe, expect, it } from 'vitest';
import type { Taint, Toleration } from '@orchard/api';
import { makeNode, makePod } from '../../framework/fixtures';
import { runFilter, runScore } from '../../framework/run-plugin';
import { taintTolerationFilter, taintTolerationScore } from './taint-toleration';

const dedicated: Partial<Taint> = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
const noExec: Partial<Taint> = { key: 'node.kubernetes.io/unreachable', value: '', effect: 'NoExecute' };
const prefer: Partial<Taint> = { key: 'slow', value: 'sd', effect: 'PreferNoSchedule' };

describe('TaintToleration filter', () => {
  const cases: { name: string; taints: Partial<Taint>[]; tolerations?: Partial<Toleration>[]; reasons: string[] }[] = [
    { name: 'untainted node fits', taints: [], reasons: [] },
    { name: 'NoSchedule taint rejects', taints: [dedicated], reasons: ['node(s) had untolerated taint {dedicated: gpu}'] },
    {
      name: 'NoExecute taint rejects, empty value printed empty',
      taints: [noExec],
      reasons: ['node(s) had untolerated taint {node.kubernetes.io/unreachable: }'],
    },
    { name: 'PreferNoSchedule does not reject', taints: [prefer], reasons: [] },
    {
      name: 'Equal toleration with the value fits',
      taints: [dedicated],
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
      reasons: [],
    },
    {
      name: 'default operator is Equal',
      taints: [dedicated],
      tolerations: [{ key: 'dedicated', value: 'gpu' }],
      reasons: [],
    },
    {
      name: 'Equal toleration with another value does not',
      taints: [dedicated],
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'tpu' }],
      reasons: ['node(s) had untolerated taint {dedicated: gpu}'],
    },
    {
      name: 'Exists toleration of the key fits',
      taints: [dedicated],
      tolerations: [{ key: 'dedicated', operator: 'Exists' }],
      reasons: [],
    },
    {
      name: 'toleration for another effect does not',
      taints: [dedicated],
      tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }],
      reasons: ['node(s) had untolerated taint {dedicated: gpu}'],
    },
    {
      name: 'reports the first untolerated taint',
      taints: [dedicated, noExec],
      tolerations: [{ key: 'dedicated', operator: 'Exists' }],
      reasons: ['node(s) had untolerated taint {node.kubernetes.io/unreachable: }'],
    },
    { name: 'empty key with Exists tolerates all', taints: [dedicated, noExec], tolerations: [{ operator: 'Exists' }], reasons: [] },
  ];
  it.each(cases)('$name', ({ taints, tolerations, reasons }) => {
    const status = runFilter(taintTolerationFilter(), makePod({ tolerations }), makeNode({ name: 'n1', taints }));
    expect(status.reasons).toEqual(reasons);
  });
});

describe('TaintToleration score', () => {
  const cases: { name: string; tolerations?: Partial<Toleration>[]; scores: number[] }[] = [
    { name: 'fewer PreferNoSchedule taints score higher', scores: [100, 50, 0] },
    {
      name: 'a tolerated PreferNoSchedule taint does not count',
      tolerations: [{ key: 'slow', operator: 'Exists', effect: 'PreferNoSchedule' }],
      scores: [100, 100, 0],
    },
  ];
  it.each(cases)('$name', ({ tolerations, scores }) => {
    const nodes = [
      makeNode({ name: 'clean', taints: [dedicated] }),
      makeNode({ name: 'one', taints: [prefer] }),
      makeNode({ name: 'two', taints: [prefer, { key: 'hot', value: '', effect: 'PreferNoSchedule' }] }),
    ];
    expect(runScore(taintTolerationScore(), makePod({ tolerations }), nodes)).toEqual(scores);
  });
});
