import { describe, expect, it } from 'vitest';
import { Pod, type ContainerStatus } from '@orchard/api';
import type { ContainerDetails } from '../runtime/container-runtime';
import { computePodStatus, containerStatus, podPhase, sameStatus } from './pod-status';

const NOW = Date.parse('2026-11-25T12:00:00Z');

function details(over: Partial<ContainerDetails> = {}, attempt = 0): ContainerDetails {
  return {
    id: 'abc',
    name: 'c',
    image: 'busybox:1',
    imageId: 'sha256:1234',
    labels: { 'io.orchard.container.attempt': String(attempt) },
    state: 'running',
    createdAt: '2026-11-25T11:00:00.123456789Z',
    startedAt: '2026-11-25T11:00:01.5Z',
    finishedAt: '',
    exitCode: 0,
    oomKilled: false,
    error: '',
    ipAddress: '',
    ...over,
  };
}

const exited = (exitCode: number, attempt = 0, over: Partial<ContainerDetails> = {}) =>
  details({ state: 'exited', exitCode, finishedAt: '2026-11-25T11:30:00Z', ...over }, attempt);

describe('containerStatus', () => {
  const cases = [
    {
      name: 'no container yet → ContainerCreating',
      view: {},
      want: { state: { waiting: { reason: 'ContainerCreating', message: '' } }, ready: false, restartCount: 0 },
    },
    {
      name: 'running',
      view: { current: details() },
      want: { state: { running: { startedAt: '2026-11-25T11:00:01Z' } }, ready: true, started: true, restartCount: 0, containerId: 'docker://abc' },
    },
    {
      name: 'exited 0 → Completed',
      view: { current: exited(0) },
      want: { state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: '2026-11-25T11:30:00Z', startedAt: '2026-11-25T11:00:01Z' } }, ready: false },
    },
    { name: 'exited 1 → Error', view: { current: exited(1) }, want: { state: { terminated: { exitCode: 1, reason: 'Error' } } } },
    { name: 'OOM killed', view: { current: exited(137, 0, { oomKilled: true }) }, want: { state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } } },
    {
      name: 'start failed → ContainerCannotRun with the engine message',
      view: { current: details({ state: 'created', startedAt: '', exitCode: 127, error: 'exec: "nope": executable file not found in $PATH' }) },
      want: { state: { terminated: { exitCode: 127, reason: 'ContainerCannotRun', message: 'exec: "nope": executable file not found in $PATH' } } },
    },
    {
      name: 'backing off after a crash: waiting, last state the crash, restarts so far',
      view: { current: exited(2, 3), waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } },
      want: {
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } },
        lastState: { terminated: { exitCode: 2, reason: 'Error' } },
        restartCount: 3,
      },
    },
    {
      name: 'restarted: running with the previous exit as last state',
      view: { current: details({}, 1), previous: exited(1, 0) },
      want: { state: { running: {} }, lastState: { terminated: { exitCode: 1 } }, restartCount: 1 },
    },
    {
      name: 'image pull failed',
      view: { waiting: { reason: 'ErrImagePull', message: 'manifest unknown' } },
      want: { state: { waiting: { reason: 'ErrImagePull', message: 'manifest unknown' } }, restartCount: 0, containerId: '' },
    },
  ];
  it.each(cases)('$name', ({ view, want }) => {
    expect(containerStatus({ name: 'app', image: 'busybox:1', ...view })).toMatchObject(want);
  });
});

describe('podPhase', () => {
  const running: ContainerStatus = { name: 'a', ready: true, restartCount: 0, image: '', imageId: '', containerId: '', state: { running: { startedAt: '' } } };
  const waitingFirst: ContainerStatus = { ...running, state: { waiting: { reason: 'ContainerCreating', message: '' } } };
  const term = (exitCode: number): ContainerStatus => ({ ...running, state: { terminated: { exitCode, signal: 0, reason: '', message: '', startedAt: '', finishedAt: '', containerId: '' } } });
  const backingOff: ContainerStatus = { ...running, state: { waiting: { reason: 'CrashLoopBackOff', message: '' } }, lastState: term(1).state };
  const cases = [
    { name: 'no containers', policy: 'Always', statuses: [], want: 'Pending' },
    { name: 'one still creating', policy: 'Always', statuses: [running, waitingFirst], want: 'Pending' },
    { name: 'all running', policy: 'Always', statuses: [running, running], want: 'Running' },
    { name: 'crash loop counts as running', policy: 'Always', statuses: [backingOff], want: 'Running' },
    { name: 'Always, all exited', policy: 'Always', statuses: [term(0)], want: 'Running' },
    { name: 'Never, all exited 0', policy: 'Never', statuses: [term(0), term(0)], want: 'Succeeded' },
    { name: 'Never, one failed', policy: 'Never', statuses: [term(0), term(1)], want: 'Failed' },
    { name: 'OnFailure, all exited 0', policy: 'OnFailure', statuses: [term(0)], want: 'Succeeded' },
    { name: 'OnFailure, one failed (will restart)', policy: 'OnFailure', statuses: [term(1)], want: 'Running' },
    { name: 'one running one done', policy: 'Never', statuses: [running, term(0)], want: 'Running' },
  ];
  it.each(cases)('$name → $want', ({ policy, statuses, want }) => {
    expect(podPhase(policy, statuses)).toBe(want);
  });
});

describe('computePodStatus', () => {
  const pod = Pod.fromPartial({
    metadata: { name: 'web', namespace: 'default', uid: 'u1' },
    spec: { restartPolicy: 'Always', containers: [{ name: 'app', image: 'busybox:1' }, { name: 'side', image: 'busybox:1' }] },
  });
  const infra = details({ id: 'infra', ipAddress: '172.17.0.9', createdAt: '2026-11-25T10:59:59Z' });

  it('reports a running pod with IPs, start time and Ready conditions', () => {
    const s = computePodStatus({
      pod,
      infra,
      containers: [
        { name: 'app', image: 'busybox:1', current: details() },
        { name: 'side', image: 'busybox:1', current: details({ id: 'def' }) },
      ],
      nodeName: 'pi1',
      hostIP: '192.168.77.11',
      now: NOW,
    });
    expect(s).toMatchObject({ phase: 'Running', podIp: '172.17.0.9', hostIp: '192.168.77.11', startTime: '2026-11-25T10:59:59Z', nominatedNodeName: 'pi1' });
    expect(s.conditions.map((c) => [c.type, c.status])).toEqual([
      ['PodScheduled', 'True'],
      ['Initialized', 'True'],
      ['ContainersReady', 'True'],
      ['Ready', 'True'],
    ]);
  });

  it('names unready containers and keeps transition times of unchanged conditions', () => {
    const first = computePodStatus({
      pod,
      infra,
      containers: [
        { name: 'app', image: 'busybox:1', current: details() },
        { name: 'side', image: 'busybox:1', waiting: { reason: 'ErrImagePull', message: 'x' } },
      ],
      nodeName: 'pi1',
      hostIP: '',
      now: NOW,
    });
    const ready = first.conditions.find((c) => c.type === 'Ready')!;
    expect(ready).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [side]' });
    expect(first.phase).toBe('Pending');

    const again = computePodStatus({
      pod,
      infra,
      containers: [
        { name: 'app', image: 'busybox:1', current: details() },
        { name: 'side', image: 'busybox:1', waiting: { reason: 'ErrImagePull', message: 'x' } },
      ],
      nodeName: 'pi1',
      hostIP: '',
      now: NOW + 60_000,
      previous: first,
    });
    expect(sameStatus(first, again)).toBe(true);
  });

  it('gives a hostNetwork pod the node address', () => {
    const hostPod = Pod.fromPartial({ ...pod, spec: { ...pod.spec!, hostNetwork: true } });
    const s = computePodStatus({
      pod: hostPod,
      infra: details({ id: 'infra', ipAddress: '' }),
      containers: [{ name: 'app', image: 'busybox:1', current: details() }],
      nodeName: 'pi1',
      hostIP: '192.168.77.11',
      now: NOW,
    });
    expect(s.podIp).toBe('192.168.77.11');
  });

  it('reports a sandbox problem as the pod reason', () => {
    const s = computePodStatus({
      pod,
      containers: [{ name: 'app', image: 'busybox:1', waiting: { reason: 'CreatePodSandboxError', message: 'port is already allocated' } }],
      nodeName: 'pi1',
      hostIP: '',
      now: NOW,
      podProblem: { reason: 'CreatePodSandboxError', message: 'port is already allocated' },
    });
    expect(s).toMatchObject({ phase: 'Pending', reason: 'CreatePodSandboxError', message: 'port is already allocated', podIp: '', startTime: '2026-11-25T12:00:00Z' });
  });
});
