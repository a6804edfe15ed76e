import { describe, expect, it } from 'vitest';
import type { NodeSelectorRequirement } from '@orchard/api';
import { Affinity } from '@orchard/api';
import { makeNode, makePod } from '../../framework/fixtures';
import { runFilter, runScore } from '../../framework/run-plugin';
import { ErrReasonPod, nodeAffinityFilter, nodeAffinityScore } from './node-affinity';

const labels = { 'kubernetes.io/arch': 'arm64', disk: 'ssd', 'pi-gen': '4' };

function required(...terms: Partial<NodeSelectorRequirement>[][]): Affinity {
  return Affinity.fromPartial({
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: terms.map((matchExpressions) => ({ matchExpressions })),
      },
    },
  });
}

describe('NodeAffinity filter', () => {
  const cases: {
    name: string;
    nodeSelector?: Record<string, string>;
    affinity?: Affinity;
    reasons: string[];
  }[] = [
    { name: 'no constraint fits', reasons: [] },
    { name: 'nodeSelector matching fits', nodeSelector: { disk: 'ssd' }, reasons: [] },
    { name: 'nodeSelector with another value does not', nodeSelector: { disk: 'hdd' }, reasons: [ErrReasonPod] },
    { name: 'nodeSelector on a missing label does not', nodeSelector: { gpu: 'yes' }, reasons: [ErrReasonPod] },
    {
      name: 'nodeSelector excluding the architecture does not',
      nodeSelector: { 'kubernetes.io/arch': 'amd64' },
      reasons: [ErrReasonPod],
    },
    { name: 'In fits', affinity: required([{ key: 'disk', operator: 'In', values: ['nvme', 'ssd'] }]), reasons: [] },
    { name: 'In without the value does not', affinity: required([{ key: 'disk', operator: 'In', values: ['hdd'] }]), reasons: [ErrReasonPod] },
    { name: 'NotIn fits', affinity: required([{ key: 'disk', operator: 'NotIn', values: ['hdd'] }]), reasons: [] },
    { name: 'NotIn with the value does not', affinity: required([{ key: 'disk', operator: 'NotIn', values: ['ssd'] }]), reasons: [ErrReasonPod] },
    { name: 'NotIn on a missing label fits', affinity: required([{ key: 'gpu', operator: 'NotIn', values: ['x'] }]), reasons: [] },
    { name: 'Exists fits', affinity: required([{ key: 'disk', operator: 'Exists' }]), reasons: [] },
    { name: 'Exists on a missing label does not', affinity: required([{ key: 'gpu', operator: 'Exists' }]), reasons: [ErrReasonPod] },
    { name: 'DoesNotExist fits', affinity: required([{ key: 'gpu', operator: 'DoesNotExist' }]), reasons: [] },
    { name: 'DoesNotExist on a present label does not', affinity: required([{ key: 'disk', operator: 'DoesNotExist' }]), reasons: [ErrReasonPod] },
    { name: 'Gt fits', affinity: required([{ key: 'pi-gen', operator: 'Gt', values: ['3'] }]), reasons: [] },
    { name: 'Gt equal does not', affinity: required([{ key: 'pi-gen', operator: 'Gt', values: ['4'] }]), reasons: [ErrReasonPod] },
    { name: 'Lt fits', affinity: required([{ key: 'pi-gen', operator: 'Lt', values: ['5'] }]), reasons: [] },
    { name: 'Lt with a non-integer does not', affinity: required([{ key: 'disk', operator: 'Lt', values: ['5'] }]), reasons: [ErrReasonPod] },
    {
      name: 'terms are ORed',
      affinity: required([{ key: 'disk', operator: 'In', values: ['hdd'] }], [{ key: 'pi-gen', operator: 'In', values: ['4'] }]),
      reasons: [],
    },
    {
      name: 'requirements of a term are ANDed',
      affinity: required([
        { key: 'disk', operator: 'In', values: ['ssd'] },
        { key: 'pi-gen', operator: 'In', values: ['5'] },
      ]),
      reasons: [ErrReasonPod],
    },
    { name: 'an empty term matches nothing', affinity: required([]), reasons: [ErrReasonPod] },
    {
      name: 'nodeSelector and affinity must both hold',
      nodeSelector: { disk: 'hdd' },
      affinity: required([{ key: 'disk', operator: 'Exists' }]),
      reasons: [ErrReasonPod],
    },
    {
      name: 'matchFields on metadata.name',
      affinity: Affinity.fromPartial({
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }],
          },
        },
      }),
      reasons: [],
    },
  ];
  it.each(cases)('$name', ({ nodeSelector, affinity, reasons }) => {
    const status = runFilter(nodeAffinityFilter(), makePod({ nodeSelector, affinity }), makeNode({ name: 'n1', labels }));
    expect(status.reasons).toEqual(reasons);
  });
});

describe('NodeAffinity score', () => {
  const nodes = [
    makeNode({ name: 'ssd-4', labels: { disk: 'ssd', 'pi-gen': '4' } }),
    makeNode({ name: 'ssd-3', labels: { disk: 'ssd', 'pi-gen': '3' } }),
    makeNode({ name: 'hdd-3', labels: { disk: 'hdd', 'pi-gen': '3' } }),
  ];
  const preferred = (...prefs: [number, Partial<NodeSelectorRequirement>][]) =>
    Affinity.fromPartial({
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: prefs.map(([weight, r]) => ({
          weight,
          preference: { matchExpressions: [r] },
        })),
      },
    });
  const cases = [
    { name: 'no preference: every node 0', affinity: undefined, scores: [0, 0, 0] },
    { name: 'one preference: matching nodes 100', affinity: preferred([10, { key: 'disk', operator: 'In', values: ['ssd'] }]), scores: [100, 100, 0] },
    {
      name: 'weights add up, best node 100',
      affinity: preferred([30, { key: 'disk', operator: 'In', values: ['ssd'] }], [10, { key: 'pi-gen', operator: 'Gt', values: ['3'] }]),
      scores: [100, 75, 0],
    },
  ];
  it.each(cases)('$name', ({ affinity, scores }) => {
    expect(runScore(nodeAffinityScore(), makePod({ affinity }), nodes)).toEqual(scores);
  });
});
