import {
  PodStatus,
  rfc3339,
  type Condition,
  type ContainerState,
  type ContainerStateTerminated,
  type ContainerStatus,
  type Pod,
} from '@orchard/api/agent';
import type { ContainerDetails } from '../runtime/container-runtime';
import { attemptOf } from './container-labels';

/** Why a container is not running yet, as the reconciler decided it (ErrImagePull, CrashLoopBackOff, ...). */
export interface WaitingReason {
  reason: string;
  message: string;
}

/** What the reconciler knows about one spec container. */
export interface ContainerView {
  /** The container's name in the pod spec. */
  name: string;
  /** The spec's image. */
  image: string;
  /** The newest Docker container for it (highest attempt), if any. */
  current?: ContainerDetails;
  /** The one before, for lastState. */
  previous?: ContainerDetails;
  /** Set while the container cannot run or is backing off. */
  waiting?: WaitingReason;
  /** The readiness probe's verdict on the current container (undefined: no probe says otherwise). */
  ready?: boolean;
  /** Whether the current container passed its startup probe (undefined: no probe). */
  started?: boolean;
}

export interface PodView {
  pod: Pod;
  /** The running infra container, if any. */
  infra?: ContainerDetails;
  containers: ContainerView[];
  /** The spec's init containers, in order. */
  initContainers?: ContainerView[];
  nodeName: string;
  hostIP: string;
  now: number;
  /** The status last computed, so unchanged conditions keep their transition times. */
  previous?: PodStatus;
  /** A problem of the whole pod (its network sandbox could not be created). */
  podProblem?: WaitingReason;
}

/** True for a container that ran and stopped, or that Docker could not start. */
export function hasExited(c: ContainerDetails): boolean {
  return c.state === 'exited' || c.state === 'dead' || (c.state === 'created' && c.error !== '');
}

function time(t: string): string {
  const ms = Date.parse(t);
  return t && Number.isFinite(ms) ? rfc3339(ms) : '';
}

/** The terminated state of an exited container, with Kubernetes' reasons. */
export function terminatedState(c: ContainerDetails): ContainerStateTerminated {
  const startFailed = c.state === 'created' && c.error !== '';
  const reason = c.oomKilled ? 'OOMKilled' : startFailed ? 'ContainerCannotRun' : c.exitCode === 0 ? 'Completed' : 'Error';
  return {
    exitCode: startFailed && c.exitCode === 0 ? 128 : c.exitCode,
    signal: 0,
    reason,
    message: c.error,
    startedAt: time(c.startedAt),
    finishedAt: time(c.finishedAt || c.createdAt),
    containerId: `docker://${c.id}`,
  };
}

function stateOf(c: ContainerDetails | undefined, waiting: WaitingReason | undefined): ContainerState {
  if (waiting) return { waiting: { ...waiting } };
  if (!c) return { waiting: { reason: 'ContainerCreating', message: '' } };
  if (c.state === 'running' || c.state === 'paused' || c.state === 'restarting') {
    return { running: { startedAt: time(c.startedAt) } };
  }
  if (hasExited(c)) return { terminated: terminatedState(c) };
  return { waiting: { reason: 'ContainerCreating', message: '' } };
}

/** One container's status as Kubernetes reports it. */
export function containerStatus(v: ContainerView): ContainerStatus {
  const state = stateOf(v.current, v.waiting);
  // While waiting to restart, the exited current container is the last state.
  const last = state.waiting && v.current && hasExited(v.current) ? v.current : v.previous;
  const running = state.running !== undefined;
  return {
    name: v.name,
    state,
    lastState: last && hasExited(last) ? { terminated: terminatedState(last) } : {},
    ready: running && (v.ready ?? true),
    restartCount: v.current ? attemptOf(v.current.labels) : v.previous ? attemptOf(v.previous.labels) + 1 : 0,
    image: v.image,
    imageId: v.current?.imageId ? `docker://${v.current.imageId}` : '',
    containerId: v.current ? `docker://${v.current.id}` : '',
    started: running && (v.started ?? true),
  };
}

/** An init container's status: ready once it completed successfully. */
function initContainerStatus(v: ContainerView): ContainerStatus {
  const s = containerStatus(v);
  const done = s.state?.terminated?.exitCode === 0 && s.state.terminated.reason === 'Completed';
  return { ...s, ready: done, started: s.state?.running !== undefined };
}

/**
 * The pod phase by Kubernetes' rules: Pending while any container waits for its first
 * start; Running while any runs or will be restarted; Succeeded when all exited 0 and
 * none will restart; Failed when all stopped, one failed and none will restart.
 */
export function podPhase(restartPolicy: string, statuses: readonly ContainerStatus[]): string {
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      // A container waiting to be restarted has run before: it counts as stopped.
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    }
  }
  if (statuses.length === 0) return 'Pending';
  if (waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if ((restartPolicy || 'Always') === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(type: string, ok: boolean, reason: string, message: string, prev: PodStatus | undefined, now: number): Condition {
  const status = ok ? 'True' : 'False';
  const before = prev?.conditions.find((c) => c.type === type);
  return {
    type,
    status,
    reason: ok ? '' : reason,
    message: ok ? '' : message,
    lastTransitionTime: before && before.status === status ? before.lastTransitionTime : rfc3339(now),
    lastHeartbeatTime: '',
    lastProbeTime: '',
  };
}

/**
 * The status of a pod from what Docker reports and what the reconciler decided. Pure:
 * the same view always gives the same status, so the caller can send it only when it
 * changes.
 */
export function computePodStatus(view: PodView): PodStatus {
  const { pod, previous, now } = view;
  const containerStatuses = view.containers.map(containerStatus);
  const initContainerStatuses = (view.initContainers ?? []).map(initContainerStatus);
  const initPending = initContainerStatuses.filter((s) => !s.ready).map((s) => s.name);
  const initFailed = initContainerStatuses.some((s) => s.state?.terminated && s.state.terminated.exitCode !== 0);
  const policy = pod.spec?.restartPolicy ?? '';
  const phase =
    initPending.length === 0
      ? podPhase(policy, containerStatuses)
      : policy === 'Never' && initFailed
        ? 'Failed'
        : 'Pending';
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const notReady = containerStatuses.filter((s) => !s.ready).map((s) => s.name);
  const allReady = notReady.length === 0 && containerStatuses.length > 0;
  const readyReason = terminal ? 'PodCompleted' : 'ContainersNotReady';
  const readyMessage = terminal ? '' : `containers with unready status: [${notReady.join(' ')}]`;
  const startTime = previous?.startTime || (view.infra ? time(view.infra.createdAt) : '') || rfc3339(now);
  return PodStatus.fromPartial({
    phase,
    conditions: [
      condition('PodScheduled', true, '', '', previous, now),
      condition(
        'Initialized',
        initPending.length === 0,
        'ContainersNotInitialized',
        `containers with incomplete status: [${initPending.join(' ')}]`,
        previous,
        now,
      ),
      condition('ContainersReady', allReady && !terminal, readyReason, readyMessage, previous, now),
      condition('Ready', allReady && !terminal, readyReason, readyMessage, previous, now),
    ],
    reason: view.podProblem?.reason ?? '',
    message: view.podProblem?.message ?? '',
    hostIp: view.hostIP,
    // A hostNetwork pod has the node's address, as in Kubernetes.
    podIp: pod.spec?.hostNetwork
      ? view.hostIP
      : (view.infra?.state === 'running' ? view.infra.ipAddress : '') || previous?.podIp || '',
    startTime,
    containerStatuses,
    initContainerStatuses,
    nominatedNodeName: view.nodeName,
  });
}

/** Whether two statuses say the same thing (the comparison behind "send only on change"). */
export function sameStatus(a: PodStatus | undefined, b: PodStatus | undefined): boolean {
  if (!a || !b) return a === b;
  return Buffer.from(PodStatus.encode(a).finish()).equals(Buffer.from(PodStatus.encode(b).finish()));
}
