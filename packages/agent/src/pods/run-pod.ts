import type { Pod } from '@orchard/api/agent';
import type { ContainerDetails } from '../runtime/container-runtime';
import { LABEL_SPEC_HASH, gracePeriodSeconds } from './container-labels';
import { initDone, initRestartPolicy, shouldRestart, syncContainer } from './container-sync';
import { RUNNING, groupApps, isInfra } from './observed';
import { hasExited, type WaitingReason } from './pod-status';
import { terminateContainers } from './pod-termination';
import { SANDBOX_ERROR, createSandbox } from './sandbox';
import { infraSpecHash } from './spec-hash';
import type { PodState, SyncContext } from './sync-context';

/** Where a run of a pod left it: what its status is computed from. */
export interface PodOutcome {
  /** The running infra container, if any. */
  infra?: ContainerDetails;
  /** App containers by spec name, newest attempt first. */
  groups: Map<string, ContainerDetails[]>;
  waiting: Map<string, WaitingReason>;
  podProblem?: WaitingReason;
  /** Every container of the pod when it was left, if it is converged (nothing pending). */
  converged?: ContainerDetails[];
}

/**
 * Brings a desired pod to running, in phases: drop containers no longer in the spec;
 * if the pod has finished, release its sandbox; otherwise make sure the sandbox (infra
 * container) runs, then converge every app container in it. Returns undefined when
 * there is nothing to report (a pod that finished before the agent restarted).
 */
export async function runPod(ctx: SyncContext, pod: Pod, state: PodState, initial: ContainerDetails[]): Promise<PodOutcome | undefined> {
  const { runtime } = ctx;
  const uid = pod.metadata!.uid;
  const grace = gracePeriodSeconds(pod);
  const inits = pod.spec?.initContainers ?? [];
  const specNames = new Set([...inits, ...(pod.spec?.containers ?? [])].map((c) => c.name));
  let observed = initial;
  let groups = groupApps(observed);
  const waiting = new Map<string, WaitingReason>();

  // Containers whose name left the spec go (a spec change that removed them).
  for (const [name, list] of groups) {
    if (specNames.has(name)) continue;
    await terminateContainers(runtime, list, grace);
    groups.delete(name);
  }

  if (isFinished(pod, groups)) {
    // A finished pod keeps no sandbox: its published ports are freed.
    await Promise.all(observed.filter((c) => isInfra(c) && RUNNING.has(c.state)).map((c) => runtime.stopContainer(c.id, 0)));
    // Finished before the agent restarted and since cleaned up: the master has its status.
    if (groups.size === 0) return undefined;
    return { groups, waiting, converged: await ctx.observe(uid) };
  }

  // configMap and secret volumes are brought up to date on every sync: running
  // containers see a changed object's files without a restart.
  state.projected = await ctx.configVolumes.project(pod, ctx.config);

  const infraHash = infraSpecHash(pod, ctx.pauseImage);
  let infra = observed.find((c) => isInfra(c) && RUNNING.has(c.state) && c.labels[LABEL_SPEC_HASH] === infraHash);
  if (!infra) {
    // No usable network namespace: containers still running in an old one would stay
    // cut off from the new one, so they stop and restart in the new sandbox.
    const running = [...groups.values()].flat().filter((c) => RUNNING.has(c.state));
    await Promise.all(running.map((c) => runtime.stopContainer(c.id, grace)));
    await Promise.all(observed.filter(isInfra).map((c) => runtime.removeContainer(c.id)));
    infra = await createSandbox(ctx, pod, state);
    if (!infra) {
      const podProblem: WaitingReason = { reason: SANDBOX_ERROR, message: state.sandboxFailure?.message ?? '' };
      for (const name of specNames) waiting.set(name, podProblem);
      return { groups: groupApps(await ctx.observe(uid)), waiting, podProblem };
    }
    if (groups.size === 0) {
      // A new pod: nothing else to look at again.
      observed = [infra];
    } else {
      observed = await ctx.observe(uid);
      groups = groupApps(observed);
    }
  } else {
    // Leftover infra containers (an old hash, a dead one) are not needed.
    const sandboxId = infra.id;
    await Promise.all(observed.filter((c) => isInfra(c) && c.id !== sandboxId).map((c) => runtime.removeContainer(c.id)));
  }

  const sandbox = infra;
  // Init containers run one at a time, each to success, before any app container.
  const pending = inits.find((c) => !initDone(groups.get(c.name)?.[0]));
  if (pending) {
    const policy = initRestartPolicy(pod.spec?.restartPolicy ?? '');
    const acted = await syncContainer(ctx, pod, pending, groups.get(pending.name) ?? [], sandbox, state, waiting, policy);
    for (const c of pod.spec?.containers ?? []) waiting.set(c.name, { reason: 'PodInitializing', message: '' });
    if (acted) {
      observed = await ctx.observe(uid);
      groups = groupApps(observed);
    }
    const idle = [...waiting.keys()].every((name) => !inits.some((c) => c.name === name));
    // Converged only while the init container runs (its exit is an event) without a problem.
    return { infra: observed.find((c) => c.id === sandbox.id) ?? sandbox, groups, waiting, converged: idle ? observed : undefined };
  }

  // App containers are independent of each other once the sandbox exists: converge
  // them in parallel (a pod of three starts as fast as a pod of one).
  const results = await Promise.all(
    (pod.spec?.containers ?? []).map((c) => syncContainer(ctx, pod, c, groups.get(c.name) ?? [], sandbox, state, waiting)),
  );
  if (results.some(Boolean)) {
    observed = await ctx.observe(uid);
    groups = groupApps(observed);
  }
  if (await collectGarbage(ctx, groups)) observed = await ctx.observe(uid);
  infra = observed.find((c) => c.id === sandbox.id) ?? sandbox;
  return { infra, groups, waiting, converged: waiting.size === 0 ? observed : undefined };
}

/** A pod whose containers all ran to an end its restart policy accepts. */
function isFinished(pod: Pod, groups: Map<string, ContainerDetails[]>): boolean {
  const policy = pod.spec?.restartPolicy || 'Always';
  const containers = pod.spec?.containers ?? [];
  if (groups.size === 0) {
    // Nothing here, yet the master recorded an end: do not run the pod a second time.
    const phase = pod.status?.phase;
    return policy !== 'Always' && (phase === 'Succeeded' || phase === 'Failed');
  }
  // An init container that failed for good fails the pod.
  const inits = pod.spec?.initContainers ?? [];
  if (policy === 'Never' && inits.some((c) => { const cur = groups.get(c.name)?.[0]; return cur !== undefined && hasExited(cur) && !initDone(cur); })) {
    return true;
  }
  if (policy === 'Always' || containers.length === 0) return false;
  return containers.every((c) => {
    const current = groups.get(c.name)?.[0];
    return current !== undefined && hasExited(current) && !shouldRestart(policy, current);
  });
}

/**
 * Keeps the newest two containers of each name (the current one and the previous one,
 * for its exit status and logs) and removes older exited ones. Returns whether it
 * removed any; the groups are trimmed to what is left.
 */
async function collectGarbage(ctx: SyncContext, groups: Map<string, ContainerDetails[]>): Promise<boolean> {
  const old = [...groups.values()].flatMap((list) => list.slice(2)).filter((c) => !RUNNING.has(c.state));
  await Promise.all(old.map((c) => ctx.runtime.removeContainer(c.id)));
  for (const [name, list] of groups) groups.set(name, list.filter((c) => !old.includes(c)));
  return old.length > 0;
}
