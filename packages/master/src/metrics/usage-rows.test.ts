import { Node, Pod, UsageReport, UsageRow, parseLabelSelector } from '@orchard/api';
import { describe, expect, it } from 'vitest';
import { mergeRows, nodeRows, podRows } from './usage-rows';

const T1 = '2026-01-01T00:00:00Z';
const T2 = '2026-01-01T00:00:15Z';

const node = (name: string, labels: Record<string, string> = {}) =>
  Node.fromPartial({ metadata: { name, labels }, status: { allocatable: { cpu: '1500m', memory: '1Gi' } } });
const pod = (name: string, uid: string, labels: Record<string, string> = {}) => Pod.fromPartial({ metadata: { name, namespace: 'default', uid, labels } });
const report = (pods: Array<{ name: string; uid: string; cpu: number }>) =>
  UsageReport.fromPartial({
    node: { cpuCores: 0.5, memoryWorkingSetBytes: 100, timestamp: T1 },
    pods: pods.map((p) => ({
      namespace: 'default',
      name: p.name,
      uid: p.uid,
      usage: { cpuCores: p.cpu, memoryWorkingSetBytes: 10, timestamp: T1 },
      containers: [{ name: 'b', usage: { cpuCores: p.cpu, memoryWorkingSetBytes: 10, timestamp: T1 } }],
    })),
  });

describe('nodeRows', () => {
  it.each([
    { name: 'every node, figures from its report, allocatable parsed', sel: '', only: '', want: [['pi1', 0.5, T1, 1500, 2 ** 30], ['pi2', 0, '', 1500, 2 ** 30]] },
    { name: 'by label', sel: 'arch=arm64', only: '', want: [['pi2', 0, '', 1500, 2 ** 30]] },
    { name: 'by name', sel: '', only: 'pi1', want: [['pi1', 0.5, T1, 1500, 2 ** 30]] },
  ])('$name', ({ sel, only, want }) => {
    const rows = nodeRows([node('pi2', { arch: 'arm64' }), node('pi1')], new Map([['pi1', report([])]]), parseLabelSelector(sel), only);
    expect(rows.map((r) => [r.name, r.cpuCores, r.timestamp, r.allocatableCpuMillis, r.allocatableMemoryBytes])).toEqual(want);
  });
});

describe('podRows', () => {
  it.each([
    { name: 'pods that exist, by uid', pods: [pod('a', 'u1'), pod('b', 'u2')], sel: '', only: '', want: ['a', 'b'] },
    { name: 'a pod re-created under its name does not take the old figures', pods: [pod('a', 'new')], sel: '', only: '', want: [] },
    { name: 'by label', pods: [pod('a', 'u1', { app: 'x' }), pod('b', 'u2')], sel: 'app=x', only: '', want: ['a'] },
    { name: 'by name', pods: [pod('a', 'u1'), pod('b', 'u2')], sel: '', only: 'b', want: ['b'] },
  ])('$name', ({ pods, sel, only, want }) => {
    const rows = podRows(pods, [report([{ name: 'b', uid: 'u2', cpu: 0.2 }, { name: 'a', uid: 'u1', cpu: 0.1 }])], parseLabelSelector(sel), only);
    expect(rows.map((r) => r.name)).toEqual(want);
    for (const r of rows) expect(r.containers).toEqual([{ name: 'b', cpuCores: r.cpuCores, memoryWorkingSetBytes: 10 }]);
  });
});

describe('mergeRows', () => {
  it('keeps the newest row of each name, a row without figures loses', () => {
    const merged = mergeRows([
      [UsageRow.fromPartial({ name: 'pi1', cpuCores: 1, timestamp: T1 }), UsageRow.fromPartial({ name: 'pi2' })],
      [UsageRow.fromPartial({ name: 'pi1', cpuCores: 2, timestamp: T2 }), UsageRow.fromPartial({ name: 'pi2', cpuCores: 3, timestamp: T1 })],
      [UsageRow.fromPartial({ name: 'pi1', cpuCores: 9 })],
    ]);
    expect(merged.map((r) => [r.name, r.cpuCores])).toEqual([
      ['pi1', 2],
      ['pi2', 3],
    ]);
  });
});
