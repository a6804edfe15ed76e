import { describe, expect, it } from 'vitest';
import { ContainerStatus, Namespace, Node, Pod, kindByCase, wrap, wrapNode, wrapPod } from '@orchard/api';
import { printMasters, printTable, tableRow } from './table';
import { summarizePod } from './pod-status';

const now = Date.parse('2026-01-01T12:00:00Z');
const opts = { wide: false, allNamespaces: false, now };

interface StatusInput {
  name?: string;
  ready?: boolean;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string };
    running?: { startedAt?: string };
    terminated?: { exitCode?: number; reason?: string; signal?: number };
  };
}

function podWith(statuses: StatusInput[], extra: { phase?: string; deleting?: boolean; init?: StatusInput[] } = {}) {
  return Pod.fromPartial({
    metadata: {
      name: 'web',
      namespace: 'default',
      creationTimestamp: '2026-01-01T11:59:15Z',
      deletionTimestamp: extra.deleting ? '2026-01-01T12:00:00Z' : '',
    },
    spec: {
      nodeName: 'pi1',
      containers: statuses.map((s, i) => ({ name: s.name ?? `c${i}`, image: 'x' })),
      initContainers: (extra.init ?? []).map((s, i) => ({ name: s.name ?? `i${i}`, image: 'x' })),
    },
    status: {
      phase: extra.phase ?? 'Running',
      podIp: '10.42.0.7',
      containerStatuses: statuses.map((s) => ContainerStatus.fromPartial(s)),
      initContainerStatuses: (extra.init ?? []).map((s) => ContainerStatus.fromPartial(s)),
    },
  });
}

const running = { ready: true, restartCount: 0, state: { running: { startedAt: '2026-01-01T11:59:20Z' } } };

describe('summarizePod (READY, STATUS, RESTARTS)', () => {
  const cases: Array<{ name: string; pod: Pod; ready: string; status: string; restarts: number }> = [
    { name: 'running and ready', pod: podWith([running]), ready: '1/1', status: 'Running', restarts: 0 },
    { name: 'no status yet', pod: Pod.fromPartial({ spec: { containers: [{ name: 'a' }] } }), ready: '0/1', status: 'Pending', restarts: 0 },
    { name: 'creating', pod: podWith([{ state: { waiting: { reason: 'ContainerCreating' } } }], { phase: 'Pending' }), ready: '0/1', status: 'ContainerCreating', restarts: 0 },
    { name: 'image pull error', pod: podWith([{ state: { waiting: { reason: 'ErrImagePull' } } }], { phase: 'Pending' }), ready: '0/1', status: 'ErrImagePull', restarts: 0 },
    { name: 'crash loop sums restarts', pod: podWith([running, { restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } } }]), ready: '1/2', status: 'CrashLoopBackOff', restarts: 4 },
    { name: 'completed', pod: podWith([{ state: { terminated: { exitCode: 0, reason: 'Completed' } } }], { phase: 'Succeeded' }), ready: '0/1', status: 'Completed', restarts: 0 },
    { name: 'error', pod: podWith([{ state: { terminated: { exitCode: 1, reason: 'Error' } } }], { phase: 'Failed' }), ready: '0/1', status: 'Error', restarts: 0 },
    { name: 'exit code without reason', pod: podWith([{ state: { terminated: { exitCode: 137 } } }], { phase: 'Failed' }), ready: '0/1', status: 'ExitCode:137', restarts: 0 },
    { name: 'one completed, one running', pod: podWith([{ state: { terminated: { exitCode: 0, reason: 'Completed' } } }, running]), ready: '1/2', status: 'Running', restarts: 0 },
    { name: 'terminating', pod: podWith([running], { deleting: true }), ready: '1/1', status: 'Terminating', restarts: 0 },
    {
      name: 'init container running',
      pod: podWith([{ state: { waiting: { reason: 'PodInitializing' } } }], { phase: 'Pending', init: [{ state: { running: { startedAt: '' } } }] }),
      ready: '0/1',
      status: 'Init:0/1',
      restarts: 0,
    },
    {
      name: 'init container failing',
      pod: podWith([{}], { phase: 'Pending', init: [{ restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }] }),
      ready: '0/1',
      status: 'Init:CrashLoopBackOff',
      restarts: 2,
    },
  ];
  for (const c of cases) {
    it(c.name, () => expect(summarizePod(c.pod)).toEqual({ ready: c.ready, status: c.status, restarts: c.restarts }));
  }
});

describe('printTable', () => {
  it('prints pods like kubectl', () => {
    expect(printTable(kindByCase('pod'), [wrapPod(podWith([running]))], opts)).toBe(
      'NAME   READY   STATUS    RESTARTS   AGE\nweb    1/1     Running   0          45s\n',
    );
  });
  it('adds IP and NODE with -o wide and NAMESPACE with -A', () => {
    expect(printTable(kindByCase('pod'), [wrapPod(podWith([running]))], { ...opts, wide: true, allNamespaces: true })).toBe(
      'NAMESPACE   NAME   READY   STATUS    RESTARTS   AGE   IP          NODE\n' +
        'default     web    1/1     Running   0          45s   10.42.0.7   pi1\n',
    );
  });
  it('prints <none> for an unscheduled pod in wide', () => {
    const p = Pod.fromPartial({ metadata: { name: 'p' }, spec: { containers: [{ name: 'a' }] }, status: { phase: 'Pending' } });
    expect(tableRow(wrapPod(p), { ...opts, wide: true }).slice(-2)).toEqual(['<none>', '<none>']);
  });
  it('prints rows only when asked for no header', () => {
    expect(printTable(kindByCase('pod'), [wrapPod(podWith([running]))], opts, false)).toBe('web   1/1   Running   0     45s\n');
  });

  const nodeCases: Array<{ name: string; node: Node; want: string[] }> = [
    {
      name: 'ready node',
      node: Node.fromPartial({
        metadata: { name: 'pi1', creationTimestamp: '2025-12-30T12:00:00Z', labels: { 'node-role.kubernetes.io/control-plane': '' } },
        status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { agentVersion: 'v0.1.0' } },
      }),
      want: ['pi1', 'Ready', 'control-plane', '2d', 'v0.1.0'],
    },
    {
      name: 'cordoned, not ready',
      node: Node.fromPartial({ metadata: { name: 'pi2' }, spec: { unschedulable: true }, status: { conditions: [{ type: 'Ready', status: 'False' }] } }),
      want: ['pi2', 'NotReady,SchedulingDisabled', '<none>', '<unknown>', ''],
    },
    { name: 'never reported', node: Node.fromPartial({ metadata: { name: 'pi3' } }), want: ['pi3', 'Unknown', '<none>', '<unknown>', ''] },
  ];
  for (const c of nodeCases) it(`node: ${c.name}`, () => expect(tableRow(wrapNode(c.node), opts)).toEqual(c.want));

  it('prints node wide columns', () => {
    const n = Node.fromPartial({
      metadata: { name: 'pi1' },
      status: {
        addresses: [{ type: 'InternalIP', address: '192.168.1.10' }],
        nodeInfo: { osImage: 'Debian GNU/Linux 13 (trixie)', kernelVersion: '6.12.0', architecture: 'arm64' },
      },
    });
    expect(tableRow(wrapNode(n), { ...opts, wide: true }).slice(5)).toEqual(['192.168.1.10', 'Debian GNU/Linux 13 (trixie)', '6.12.0', 'arm64']);
  });

  it('prints namespaces', () => {
    const ns = wrap(kindByCase('namespace'), Namespace.fromPartial({ metadata: { name: 'dev', creationTimestamp: '2026-01-01T07:00:00Z' }, status: { phase: 'Active' } }));
    expect(printTable(kindByCase('namespace'), [ns], opts)).toBe('NAME   STATUS   AGE\ndev    Active   5h\n');
  });

  it('prints masters', () => {
    expect(
      printMasters(
        [
          { name: 'm1', address: '10.0.0.1:7443', version: '0.1.0', leader: true, startedAt: '2026-01-01T11:00:00Z' },
          { name: 'm2', address: '10.0.0.2:7443', version: '0.1.0', leader: false, startedAt: '2026-01-01T11:30:00Z' },
        ],
        now,
      ),
    ).toBe(
      'NAME   ADDRESS         VERSION   LEADER   AGE\n' + 'm1     10.0.0.1:7443   0.1.0     true     60m\n' + 'm2     10.0.0.2:7443   0.1.0     false    30m\n',
    );
  });
});
