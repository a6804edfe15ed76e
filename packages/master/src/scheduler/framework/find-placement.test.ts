import { describe, expect, it } from 'vitest';
import { fitErrorMessage } from './fit-error';
import { findPlacement } from './find-placement';
import { GiB, makeNode, makePod } from './fixtures';
import type { Profile } from './profiles';
import { BIN_PACKING_PROFILE, numFeasibleNodesToFind } from './profiles';
import { FILTERS, scorePlugin } from './registry';
import { SUCCESS } from './status';
import type { NodeInfo } from './types';

function nodes(count: number, o: Partial<Parameters<typeof makeNode>[0]> = {}): NodeInfo[] {
  return Array.from({ length: count }, (_, i) => makeNode({ name: `n${i}`, ...o }));
}

describe('findPlacement: the unschedulable message', () => {
  const cases: { name: string; nodes: NodeInfo[]; pod: ReturnType<typeof makePod>; message: string }[] = [
    { name: 'no nodes at all', nodes: [], pod: makePod(), message: 'no nodes available to schedule pods' },
    {
      name: 'counts per reason, ordered by reason text',
      nodes: [
        makeNode({ name: 'a', unschedulable: true }),
        makeNode({ name: 'b', requestedMemoryBytes: 4 * GiB }),
        makeNode({ name: 'c', requestedMemoryBytes: 4 * GiB }),
      ],
      pod: makePod({ memory: '1Gi' }),
      message: '0/3 nodes are available: 2 Insufficient memory, 1 node(s) were unschedulable.',
    },
    {
      name: 'a node short of two resources counts under both',
      nodes: [makeNode({ name: 'a', cpuMillis: 500, memoryBytes: GiB / 2 }), makeNode({ name: 'b', cpuMillis: 500 })],
      pod: makePod({ cpu: '1', memory: '1Gi' }),
      message: '0/2 nodes are available: 2 Insufficient cpu, 1 Insufficient memory.',
    },
    {
      name: 'a node stops at its first failing filter',
      nodes: [makeNode({ name: 'a', ready: 'False', unschedulable: true, cpuMillis: 0 })],
      pod: makePod({ cpu: '1' }),
      message: '0/1 nodes are available: 1 node(s) were not ready.',
    },
    {
      name: 'nodeName of a missing node',
      nodes: nodes(2),
      pod: makePod({ nodeName: 'elsewhere' }),
      message: "0/2 nodes are available: 2 node(s) didn't match the requested node name.",
    },
  ];
  it.each(cases)('$name', ({ nodes: ns, pod, message }) => {
    const p = findPlacement(pod, { nodes: ns });
    expect(p).toMatchObject({ ok: false, message });
  });

  it('records the reasons of every rejected node', () => {
    const p = findPlacement(makePod({ memory: '1Gi' }), {
      nodes: [makeNode({ name: 'a', unschedulable: true }), makeNode({ name: 'b', memoryBytes: 0 })],
    });
    expect(p.ok).toBe(false);
    if (p.ok) return;
    expect(Object.fromEntries(p.rejected)).toEqual({
      a: ['node(s) were unschedulable'],
      b: ['Insufficient memory'],
    });
  });

  it('phrases the example of the issue exactly', () => {
    const rejected = new Map([
      ['a', ['Insufficient memory']],
      ['b', ["node(s) didn't match Pod's node affinity/selector"]],
      ['c', ['Insufficient memory']],
    ]);
    expect(fitErrorMessage(3, rejected)).toBe(
      "0/3 nodes are available: 2 Insufficient memory, 1 node(s) didn't match Pod's node affinity/selector.",
    );
  });
});

describe('findPlacement: choosing', () => {
  const busy = makeNode({ name: 'busy', requestedCpuMillis: 3000, requestedMemoryBytes: 3 * GiB });
  const idle = makeNode({ name: 'idle' });
  const half = makeNode({ name: 'half', requestedCpuMillis: 2000, requestedMemoryBytes: 2 * GiB });

  const cases = [
    { name: 'default profile spreads: the emptiest node', pod: makePod({ cpu: '500m', memory: '512Mi' }), want: 'idle' },
    {
      name: 'bin-packing through schedulerName: the fullest node that fits',
      pod: makePod({ cpu: '500m', memory: '512Mi', schedulerName: BIN_PACKING_PROFILE }),
      want: 'busy',
    },
    {
      name: 'bin-packing skips the fullest node when it no longer fits',
      pod: makePod({ cpu: '1500m', memory: '512Mi', schedulerName: BIN_PACKING_PROFILE }),
      want: 'half',
    },
  ];
  it.each(cases)('$name', ({ pod, want }) => {
    expect(findPlacement(pod, { nodes: [busy, idle, half] })).toMatchObject({ ok: true, nodeName: want });
  });

  it('takes an explicit profile over the pod’s schedulerName', () => {
    const pod = makePod({ cpu: '500m', schedulerName: BIN_PACKING_PROFILE });
    expect(findPlacement(pod, { nodes: [busy, idle] }, { profile: 'default-scheduler' })).toMatchObject({ nodeName: 'idle' });
  });

  it('answers an unknown profile name instead of throwing', () => {
    const p = findPlacement(makePod(), { nodes: [idle] }, { profile: 'nope' });
    expect(p).toMatchObject({ ok: false, message: 'unknown scheduler profile "nope" (known: default-scheduler, bin-packing)' });
  });

  it('answers a pod with a malformed request instead of throwing', () => {
    const p = findPlacement(makePod({ name: 'bad', cpu: 'lots' }), { nodes: [idle] });
    expect(p.ok).toBe(false);
    if (p.ok) return;
    expect(p.message).toMatch(/^running PreFilter plugin "NodeResourcesFit": /);
    expect(p.rejected.size).toBe(0);
  });

  it.each([
    { point: 'PreFilter', filter: { name: 'Boom', preFilter: () => { throw new Error('kaboom'); }, filter: () => SUCCESS } },
    { point: 'Filter', filter: { name: 'Boom', filter: () => { throw new Error('kaboom'); } } },
  ])('turns a plugin that throws in $point into an answer naming it', ({ point, filter }) => {
    const profile: Profile = { name: 't', filters: [filter], scores: [], percentageOfNodesToScore: 100 };
    expect(findPlacement(makePod(), { nodes: [idle] }, { profile })).toEqual({
      ok: false,
      message: `running ${point} plugin "Boom": kaboom`,
      rejected: new Map(),
    });
  });

  it('turns a score plugin that throws into an answer naming it', () => {
    const boom = { name: 'Boom', score: () => { throw new Error('kaboom'); } };
    const profile: Profile = { name: 't', filters: [], scores: [{ plugin: boom, weight: 1 }], percentageOfNodesToScore: 100 };
    expect(findPlacement(makePod(), { nodes: [idle] }, { profile })).toMatchObject({ ok: false, message: 'running Score plugin "Boom": kaboom' });
  });

  it('never chooses a node that is not Ready, however empty', () => {
    const down = makeNode({ name: 'down', ready: 'Unknown' });
    expect(findPlacement(makePod({ cpu: '100m' }), { nodes: [down, busy] })).toMatchObject({ ok: true, nodeName: 'busy' });
  });

  it('reports the weighted sum of the winner', () => {
    const profile: Profile = {
      name: 'test',
      filters: FILTERS,
      scores: [
        { plugin: scorePlugin('NodeResourcesLeastAllocated'), weight: 2 },
        { plugin: scorePlugin('ThermalHeadroom'), weight: 1 },
      ],
      percentageOfNodesToScore: 100,
    };
    const hot = makeNode({ name: 'hot', health: { socTemperatureCelsius: 70 } });
    const p = findPlacement(makePod({ cpu: '1', memory: '1Gi' }), { nodes: [idle, hot] }, { profile });
    expect(p).toEqual({ ok: true, nodeName: 'idle', score: 2 * 75 + 100 });
  });

  it('default weights: taints 3, least-allocated 1, thermal 1; skipped plugins add 0', () => {
    const p = findPlacement(makePod({ cpu: '1', memory: '1Gi' }), { nodes: [idle] });
    expect(p).toEqual({ ok: true, nodeName: 'idle', score: 3 * 100 + 75 + 100 });
  });
});

describe('findPlacement: seeded tie-break', () => {
  const tied = nodes(8);

  it('the same pod, snapshot and seed give the same node', () => {
    const pod = makePod({ name: 'web-1' });
    const first = findPlacement(pod, { nodes: tied }, { seed: 42 });
    for (let i = 0; i < 5; i++) expect(findPlacement(pod, { nodes: tied }, { seed: 42 })).toEqual(first);
  });

  it('ties are shared among the tied nodes across pods', () => {
    const chosen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const p = findPlacement(makePod({ name: `web-${i}` }), { nodes: tied });
      if (p.ok) chosen.add(p.nodeName);
    }
    expect(chosen.size).toBe(tied.length);
  });

  it('an injected generator decides the tie', () => {
    const first = findPlacement(makePod(), { nodes: tied }, { random: () => 0 });
    const last = findPlacement(makePod(), { nodes: tied }, { random: () => 0.999 });
    // Reservoir sampling: a generator always at 0 replaces the pick at every tie (the last
    // node wins), one always near 1 never does (the first node stays).
    expect(first).toMatchObject({ nodeName: 'n7' });
    expect(last).toMatchObject({ nodeName: 'n0' });
  });
});

describe('findPlacement: large clusters', () => {
  it('examines every node below 100 nodes, fewer above, as Kubernetes does', () => {
    const cases = [
      { nodes: 50, pct: 0, want: 50 },
      { nodes: 1000, pct: 0, want: 420 },
      { nodes: 5000, pct: 0, want: 500 },
      { nodes: 200, pct: 10, want: 100 },
      { nodes: 1000, pct: 100, want: 1000 },
    ];
    for (const c of cases) expect(numFeasibleNodesToFind(c.pct, c.nodes), JSON.stringify(c)).toBe(c.want);
  });

  it('still finds the one node that fits among 1,000', () => {
    const ns = nodes(1000, { unschedulable: true });
    ns[617] = makeNode({ name: 'the-one' });
    expect(findPlacement(makePod(), { nodes: ns })).toMatchObject({ ok: true, nodeName: 'the-one' });
  });

  it('examines fewer nodes when told to, and still places', () => {
    let examined = 0;
    const counting = { name: 'Counting', filter: () => (examined++, SUCCESS) };
    const profile: Profile = { name: 't', filters: [counting], scores: [], percentageOfNodesToScore: 0 };
    expect(findPlacement(makePod(), { nodes: nodes(1000) }, { profile, percentageOfNodesToScore: 10 })).toMatchObject({ ok: true });
    expect(examined).toBe(100);
    examined = 0;
    findPlacement(makePod(), { nodes: nodes(1000) }, { profile });
    expect(examined).toBe(420);
  });

  it('counts every node in the message when none fits', () => {
    const p = findPlacement(makePod(), { nodes: nodes(1000, { unschedulable: true }) });
    expect(p).toMatchObject({ ok: false, message: '0/1000 nodes are available: 1000 node(s) were unschedulable.' });
  });
});
