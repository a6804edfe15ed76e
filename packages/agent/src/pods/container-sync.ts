import type { Container, Pod } from '@orchard/api/agent';
import type { ContainerDetails } from '../runtime/container-runtime';
import { CRASH_LOOP_BACKOFF } from './backoff';
import { ContainerConfigError, appContainerSpec } from './container-config';
import { LABEL_SPEC_HASH, attemptOf, gracePeriodSeconds } from './container-labels';
import { ImageNeverPullError } from './image-puller';
import { pullAuthFor } from './pull-secrets';
import type { RegistryAuth } from '../runtime/container-runtime';
import { RUNNING } from './observed';
import { hasExited, type WaitingReason } from './pod-status';
import { runHandler } from '../probes/run-handler';
import { stopGracefully, terminateContainers } from './pod-termination';
import { appSpecHash } from './spec-hash';
import type { PodState, SyncContext } from './sync-context';

/** The policy of a pod's init containers: retried on failure unless the pod never restarts. */
export function initRestartPolicy(podPolicy: string): string {
  return podPolicy === 'Never' ? 'Never' : 'OnFailure';
}

/** An init container is done once it exited 0 (it never runs again in this pod). */
export function initDone(c: ContainerDetails | undefined): boolean {
  return c !== undefined && hasExited(c) && c.exitCode === 0 && c.error === '' && !c.oomKilled;
}

/** Kubernetes' restart policy: Always restarts everything, OnFailure failures, Never nothing. */
export function shouldRestart(policy: string, c: ContainerDetails): boolean {
  switch (policy || 'Always') {
    case 'Always':
      return true;
    case 'OnFailure':
      return c.exitCode !== 0 || c.oomKilled || (c.state === 'created' && c.error !== '');
    default:
      return false;
  }
}

/**
 * Converges one app container of a pod whose sandbox runs: adopt it, recreate it on a
 * spec change, restart it per the restart policy (first at once, then with crash-loop
 * back-off), or create it. Problems the user must fix (image, configuration) become the
 * container's waiting reason in `waiting`. Returns whether Docker was changed.
 * @param history the container's Docker containers, newest attempt first.
 * @param restartPolicy the policy that applies to this container (init containers
 *   restart on failure even in an Always pod).
 */
export async function syncContainer(
  ctx: SyncContext,
  pod: Pod,
  container: Container,
  history: readonly ContainerDetails[],
  infra: ContainerDetails,
  state: PodState,
  waiting: Map<string, WaitingReason>,
  restartPolicy = pod.spec?.restartPolicy ?? '',
): Promise<boolean> {
  const { runtime, clock } = ctx;
  const uid = pod.metadata!.uid;
  const key = `${uid}/${container.name}`;
  let acted = false;
  let current: ContainerDetails | undefined = history[0];
  const attempt = current ? attemptOf(current.labels) + 1 : 0;

  if (current && current.labels[LABEL_SPEC_HASH] !== appSpecHash(container, pod)) {
    await terminateContainers(runtime, [current], gracePeriodSeconds(pod), { pod, podIP: infra.ipAddress, clock, logger: ctx.logger });
    ctx.restartBackoff.reset(key);
    current = undefined;
    acted = true;
  }
  if (current && RUNNING.has(current.state)) return acted;
  if (current && current.state === 'created' && !current.error) {
    // Created but never started (the agent stopped in between): start it now. A start
    // error stays on the container and is handled as an exit by the next sync.
    await runtime.startContainer(current.id).catch((err) => ctx.logger.info({ err }, 'container failed to start'));
    return true;
  }
  const restarting = current !== undefined && hasExited(current);
  if (current && restarting) {
    if (!shouldRestart(restartPolicy, current)) return acted;
    const finished = Date.parse(current.finishedAt || current.createdAt) || clock.now();
    const started = Date.parse(current.startedAt);
    const ran = Number.isFinite(started) ? Math.max(0, finished - started) : 0;
    const readyAt = ctx.restartBackoff.readyAt(key, finished, ran);
    if (readyAt > clock.now()) {
      const delay = Math.round(ctx.restartBackoff.delayMs(key) / 1000);
      waiting.set(container.name, {
        reason: 'CrashLoopBackOff',
        message: `back-off ${delay}s restarting failed container=${container.name} pod=${pod.metadata!.name}_${pod.metadata!.namespace}(${uid})`,
      });
      ctx.wakeAt(uid, readyAt);
      return acted;
    }
  }

  const auth = pullAuthFor(pod, container.image, ctx.config);
  if (!(await ensureImage(ctx, key, container, state, waiting, auth))) return acted;

  let spec;
  try {
    spec = appContainerSpec(pod, container, {
      nodeName: ctx.nodeName,
      infraId: infra.id,
      podIP: infra.ipAddress,
      hostIP: ctx.hostIP(),
      attempt,
      config: ctx.config,
      projected: state.projected,
    });
  } catch (err) {
    if (!(err instanceof ContainerConfigError)) throw err;
    // Retrying cannot help until the spec changes (which queues the pod again).
    waiting.set(container.name, { reason: 'CreateContainerConfigError', message: err.message });
    return acted;
  }
  let id: string;
  try {
    id = await ctx.puller.createContainer(spec, container.imagePullPolicy, auth);
  } catch (err) {
    // Docker refused the configuration (a memory limit below its minimum, ...).
    waiting.set(container.name, { reason: 'CreateContainerError', message: (err as Error).message });
    ctx.wakeAt(uid, clock.now() + CRASH_LOOP_BACKOFF.initialMs);
    return acted;
  }
  if (restarting) ctx.restartBackoff.step(key);
  try {
    await runtime.startContainer(id);
  } catch (err) {
    // Docker keeps the container with its start error; the next sync reports it as
    // terminated (ContainerCannotRun) and restarts it per the policy, with back-off.
    ctx.logger.info({ err, pod: pod.metadata!.name, container: container.name }, 'container failed to start');
    ctx.requeue(uid);
    return true;
  }
  await runPostStart(ctx, pod, container, id, infra.ipAddress);
  return true;
}

/** The longest a postStart hook may run (Kubernetes sets none; an endless hook must not hold the pod's sync forever). */
const POST_START_TIMEOUT_MS = 60_000;

/**
 * Runs the container's postStart hook right after it started. A failed hook kills the
 * container (FailedPostStartHook), which is then restarted per the restart policy.
 */
async function runPostStart(ctx: SyncContext, pod: Pod, container: Container, id: string, podIP: string): Promise<void> {
  const hook = container.lifecycle?.postStart;
  if (!hook) return;
  const outcome = await runHandler(hook, { runtime: ctx.runtime, containerId: id, container, podIP }, POST_START_TIMEOUT_MS, 'lifecycle.postStart');
  if (outcome.ok) return;
  ctx.logger.warn({ pod: `${pod.metadata!.namespace}/${pod.metadata!.name}`, container: container.name }, `FailedPostStartHook: ${outcome.message}`);
  const details = await ctx.runtime.inspectContainer(id);
  await stopGracefully(ctx.runtime, details, gracePeriodSeconds(pod), { pod, podIP, clock: ctx.clock, logger: ctx.logger });
}

/**
 * Makes the container's image present per its pull policy. A failed pull is reported
 * (ErrImagePull, ErrImageNeverPull) and retried with back-off (ImagePullBackOff while
 * waiting). Returns whether the image is there.
 */
async function ensureImage(
  ctx: SyncContext,
  key: string,
  container: Container,
  state: PodState,
  waiting: Map<string, WaitingReason>,
  auth?: RegistryAuth,
): Promise<boolean> {
  const uid = key.slice(0, key.indexOf('/'));
  const failure = state.pullFailures.get(container.name);
  if (failure && !ctx.pullBackoff.ready(key, failure.at)) {
    waiting.set(container.name, {
      reason: failure.reason === 'ErrImagePull' ? 'ImagePullBackOff' : failure.reason,
      message: `Back-off pulling image "${container.image}": ${failure.message}`,
    });
    ctx.wakeAt(uid, ctx.pullBackoff.readyAt(key, failure.at));
    return false;
  }
  try {
    await ctx.puller.ensure(container.image, container.imagePullPolicy, auth);
    state.pullFailures.delete(container.name);
    ctx.pullBackoff.reset(key);
    return true;
  } catch (err) {
    const reason = err instanceof ImageNeverPullError ? 'ErrImageNeverPull' : 'ErrImagePull';
    const message = (err as Error).message;
    const now = ctx.clock.now();
    ctx.pullBackoff.step(key);
    state.pullFailures.set(container.name, { at: now, message, reason });
    waiting.set(container.name, { reason, message });
    ctx.wakeAt(uid, ctx.pullBackoff.readyAt(key, now));
    return false;
  }
}
