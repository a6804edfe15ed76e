import type { Pod } from '@orchard/api/agent';
import type { ContainerDetails } from '../runtime/container-runtime';
import { infraContainerSpec } from './container-config';
import { INFRA_CONTAINER_NAME } from './container-labels';
import type { PodState, SyncContext } from './sync-context';

/** The waiting reason of every container of a pod whose sandbox Docker refused. */
export const SANDBOX_ERROR = 'CreatePodSandboxError';

/**
 * Creates and starts a pod's infra container (its network namespace and published
 * ports). Returns undefined, with state.sandboxFailure set, when Docker refuses (a
 * hostPort already taken, a missing pause image): the pod cannot run until that
 * changes, so the failure is reported and retried with back-off.
 */
export async function createSandbox(ctx: SyncContext, pod: Pod, state: PodState): Promise<ContainerDetails | undefined> {
  const { runtime, clock } = ctx;
  const uid = pod.metadata!.uid;
  const key = `${uid}/${INFRA_CONTAINER_NAME}`;
  if (state.sandboxFailure && !ctx.sandboxBackoff.ready(key, state.sandboxFailure.at)) {
    ctx.wakeAt(uid, ctx.sandboxBackoff.readyAt(key, state.sandboxFailure.at));
    return undefined;
  }
  const spec = infraContainerSpec(pod, ctx.pauseImage, ctx.nodeName);
  let id: string | undefined;
  try {
    await ctx.puller.ensure(ctx.pauseImage, 'IfNotPresent');
    id = await ctx.puller.createContainer(spec, 'IfNotPresent');
    await runtime.startContainer(id);
    const infra = await runtime.inspectContainer(id);
    state.sandboxFailure = undefined;
    ctx.sandboxBackoff.reset(key);
    return infra;
  } catch (err) {
    // The failed container would block the name of the next attempt.
    if (id) await runtime.removeContainer(id).catch(() => undefined);
    ctx.logger.warn({ err, pod: pod.metadata!.name }, 'failed to create pod sandbox');
    ctx.sandboxBackoff.step(key);
    state.sandboxFailure = { at: clock.now(), message: (err as Error).message };
    ctx.wakeAt(uid, ctx.sandboxBackoff.readyAt(key, clock.now()));
    return undefined;
  }
}
