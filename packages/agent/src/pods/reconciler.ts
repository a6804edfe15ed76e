import type { Clock, Logger, Pod, PodStatus, PodStatusUpdate, Container } from '@orchard/api';
import type { ContainerDetails, ContainerRuntime, ContainerSummary } from '../runtime/container-runtime';
import { ContainerNotFoundError } from '../runtime/errors';
import { Backoff, CRASH_LOOP_BACKOFF } from './backoff';
import { ContainerConfigError, appContainerSpec, infraContainerSpec } from './container-config';
import {
  INFRA_CONTAINER_NAME,
  LABEL_CONTAINER_NAME,
  LABEL_GRACE_PERIOD,
  LABEL_POD_UID,
  LABEL_SPEC_HASH,
  attemptOf,
  gracePeriodSeconds,
  nodeSelectorLabels,
} from './container-labels';
import { ImageNeverPullError, ImagePuller } from './image-puller';
import { KeyedQueue } from './keyed-queue';
import { podFingerprint } from './pod-fingerprint';
import { computePodStatus, hasExited, sameStatus, type ContainerView, type WaitingReason } from './pod-status';
import { appSpecHash, infraSpecHash } from './spec-hash';

export interface PodReconcilerOptions {
  runtime: ContainerRuntime;
  clock: Clock;
  logger: Logger;
  nodeName: string;
  /** The infra container's image. */
  pauseImage: string;
  /** The node's InternalIP, reported as each pod's hostIP. */
  hostIP: () => string;
  /** Called with a pod's status whenever it changes, and once with deleted=true. */
  onStatus: (update: PodStatusUpdate) => void;
  /** Periodic look at every pod even without events (default 10 s). */
  resyncIntervalMs?: number;
  /** Pods synced in parallel (default 8). */
  concurrency?: number;
}

/** What the reconciler remembers about a pod between syncs (all of it can be lost safely). */
interface PodState {
  pullFailures: Map<string, { at: number; message: string; reason: string }>;
  sandboxFailure?: { at: number; message: string };
  lastUpdate?: PodStatusUpdate;
  /**
   * The containers (id:state) the pod was left converged with. A periodic resync that
   * lists the same skips the pod: nothing changed, and anything time-driven (back-off)
   * has its own wake-up. Keeps an idle node's agent near zero CPU.
   */
  converged?: string;
  timer?: { at: number; cancel(): void };
}

/** Retry delay for a sync that failed for a reason outside the pod (engine unreachable). */
const SYNC_RETRY_MS = 5_000;
const RUNNING = new Set(['running', 'paused', 'restarting']);

/**
 * Level-triggered pod reconciler. The desired pods (from the master or the local copy)
 * are compared with the containers Docker reports for this node, and each pod is
 * converged by a sync keyed by its uid: one sync per pod at a time, many pods in
 * parallel. Docker events and a periodic resync only say "look at this pod again".
 *
 * A pod is one infra container (network namespace, published hostPorts) plus one
 * container per spec container joined to it. Containers are adopted when their spec
 * hash matches, recreated when it does not, restarted per the pod's restart policy with
 * crash-loop back-off, and removed when their pod is no longer desired.
 */
export class PodReconciler {
  private desired = new Map<string, Pod>();
  private fingerprints = new Map<string, Buffer>();
  /** Until the first desired set arrives nothing is removed: an empty view is not "no pods". */
  private desiredKnown = false;
  private readonly states = new Map<string, PodState>();
  private readonly queue: KeyedQueue;
  private readonly puller: ImagePuller;
  private readonly restartBackoff: Backoff;
  private readonly pullBackoff: Backoff;
  private readonly sandboxBackoff: Backoff;
  private events?: { close(): void };
  private resyncTimer?: { cancel(): void };
  private stopped = true;

  constructor(private readonly opts: PodReconcilerOptions) {
    this.queue = new KeyedQueue((uid) => this.sync(uid), opts.concurrency ?? 8);
    this.puller = new ImagePuller(opts.runtime);
    this.restartBackoff = new Backoff(opts.clock, CRASH_LOOP_BACKOFF);
    this.pullBackoff = new Backoff(opts.clock, CRASH_LOOP_BACKOFF);
    this.sandboxBackoff = new Backoff(opts.clock, CRASH_LOOP_BACKOFF);
  }

  /** Starts watching Docker events and the periodic resync. */
  start(): void {
    this.stopped = false;
    this.watchEvents();
    this.scheduleResync();
  }

  /** Stops watching and waits for running syncs. Containers are left as they are. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.events?.close();
    this.resyncTimer?.cancel();
    for (const s of this.states.values()) s.timer?.cancel();
    await this.queue.idle();
  }

  /**
   * Replaces the desired set (the complete set of pods bound to this node). Pods whose
   * spec or metadata changed, new pods and vanished pods are synced.
   */
  setDesired(pods: readonly Pod[]): void {
    const next = new Map<string, Pod>();
    const prints = new Map<string, Buffer>();
    const changed: string[] = [];
    for (const pod of pods) {
      const uid = pod.metadata?.uid;
      if (!uid) continue;
      next.set(uid, pod);
      const print = podFingerprint(pod);
      prints.set(uid, print);
      const before = this.fingerprints.get(uid);
      if (!before || !before.equals(print)) changed.push(uid);
    }
    for (const uid of this.desired.keys()) if (!next.has(uid)) changed.push(uid);
    // The new set is in place before any sync starts: syncs read it by key.
    this.desired = next;
    this.fingerprints = prints;
    this.desiredKnown = true;
    if (changed.length > 0) this.opts.logger.info({ pods: next.size, changed: changed.length }, 'desired pods changed');
    for (const uid of changed) this.queue.add(uid);
    // Containers of pods that vanished while the agent was away show up only in Docker.
    void this.resyncAll();
  }

  /** The last status update of every pod, to resend after the master connection is back. */
  currentStatuses(): PodStatusUpdate[] {
    return [...this.states.values()].flatMap((s) => (s.lastUpdate ? [s.lastUpdate] : []));
  }

  /** Queues every pod, desired or found in Docker. */
  async resyncAll(): Promise<void> {
    if (!this.desiredKnown || this.stopped) return;
    const uids = new Set(this.desired.keys());
    let found: ContainerSummary[] = [];
    try {
      found = await this.opts.runtime.listContainers(nodeSelectorLabels(this.opts.nodeName));
      for (const c of found) if (c.labels[LABEL_POD_UID]) uids.add(c.labels[LABEL_POD_UID]);
    } catch (err) {
      // Retried by the next periodic resync; the desired pods are still queued.
      this.opts.logger.warn({ err }, 'failed to list containers for resync');
      for (const s of this.states.values()) s.converged = undefined;
    }
    if (this.stopped) return;
    const seen = new Map<string, string[]>();
    for (const c of found) {
      const uid = c.labels[LABEL_POD_UID];
      if (uid) seen.set(uid, [...(seen.get(uid) ?? []), `${c.id}:${c.state}`]);
    }
    for (const uid of uids) {
      const converged = this.states.get(uid)?.converged;
      if (converged !== undefined && converged === signature(seen.get(uid) ?? [])) continue;
      this.queue.add(uid);
    }
  }

  /** Resolves when no sync is queued or running (for tests and shutdown). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  private scheduleResync(): void {
    if (this.stopped) return;
    this.resyncTimer = this.opts.clock.setTimeout(() => {
      void this.resyncAll();
      this.scheduleResync();
    }, this.opts.resyncIntervalMs ?? 10_000);
  }

  private watchEvents(): void {
    if (this.stopped) return;
    this.events = this.opts.runtime.watchEvents(
      nodeSelectorLabels(this.opts.nodeName),
      (ev) => {
        const uid = ev.labels[LABEL_POD_UID];
        if (uid && ['die', 'oom', 'start', 'destroy'].includes(ev.action)) this.queue.add(uid);
      },
      (err) => {
        if (this.stopped) return;
        // The engine went away (dockerd restart): watch again and look at everything,
        // since containers may have died with it.
        this.opts.logger.warn({ err }, 'docker event stream ended; watching again');
        this.opts.clock.setTimeout(() => {
          this.watchEvents();
          void this.resyncAll();
        }, 2_000);
      },
    );
  }

  private stateOf(uid: string): PodState {
    let s = this.states.get(uid);
    if (!s) {
      s = { pullFailures: new Map() };
      this.states.set(uid, s);
    }
    return s;
  }

  private forget(uid: string): void {
    this.states.get(uid)?.timer?.cancel();
    this.states.delete(uid);
    this.restartBackoff.forgetPrefix(`${uid}/`);
    this.pullBackoff.forgetPrefix(`${uid}/`);
    this.sandboxBackoff.forgetPrefix(`${uid}/`);
  }

  /** Looks at the pod again at time `at` (keeps an earlier wake-up if one is set). */
  private wakeAt(uid: string, at: number): void {
    if (this.stopped) return;
    const s = this.stateOf(uid);
    if (s.timer && s.timer.at <= at) return;
    s.timer?.cancel();
    const t = this.opts.clock.setTimeout(() => {
      if (s.timer === handle) s.timer = undefined;
      this.queue.add(uid);
    }, Math.max(0, at - this.opts.clock.now()));
    const handle = { at, cancel: () => t.cancel() };
    s.timer = handle;
  }

  /** Every container of the pod on this node, inspected. */
  private async observe(uid: string): Promise<ContainerDetails[]> {
    const list = await this.opts.runtime.listContainers({ ...nodeSelectorLabels(this.opts.nodeName), [LABEL_POD_UID]: uid });
    const details = await Promise.all(
      list.map((c) =>
        this.opts.runtime.inspectContainer(c.id).catch((err) => {
          // Removed between list and inspect: it is simply gone.
          if (err instanceof ContainerNotFoundError) return undefined;
          throw err;
        }),
      ),
    );
    return details.filter((d): d is ContainerDetails => d !== undefined);
  }

  private async sync(uid: string): Promise<void> {
    // After stop() nothing more is changed: a new reconciler may already own the node.
    if (this.stopped) return;
    let pod = this.desired.get(uid);
    try {
      const observed = await this.observe(uid);
      // Re-read by key: the desired set may have changed while Docker answered.
      pod = this.desired.get(uid);
      if (this.stopped) return;
      const st = this.states.get(uid);
      if (st) st.converged = undefined;
      if (!pod) {
        if (this.desiredKnown) await this.removeOrphan(uid, observed);
      } else if (pod.metadata?.deletionTimestamp) {
        await this.deletePod(pod, observed);
      } else {
        await this.runPod(pod, observed);
      }
    } catch (err) {
      // Transient (engine unreachable, a conflict with a concurrent change): retry later.
      // Problems of the pod itself never get here; they become its status.
      const name = pod ? `${pod.metadata!.namespace}/${pod.metadata!.name}` : uid;
      this.opts.logger.warn({ err, pod: name }, `failed to sync pod ${name}; retrying`);
      this.wakeAt(uid, this.opts.clock.now() + SYNC_RETRY_MS);
    }
  }

  /** A pod no longer bound here: stop its containers with the grace they were created with, remove them. */
  private async removeOrphan(uid: string, observed: ContainerDetails[]): Promise<void> {
    if (observed.length > 0) {
      this.opts.logger.info({ uid, containers: observed.length }, 'removing containers of a pod no longer assigned here');
      await Promise.all(
        observed
          .filter((c) => RUNNING.has(c.state) && c.labels[LABEL_CONTAINER_NAME] !== INFRA_CONTAINER_NAME)
          .map((c) => this.opts.runtime.stopContainer(c.id, Number(c.labels[LABEL_GRACE_PERIOD] ?? 30) || 0)),
      );
      await Promise.all(observed.map((c) => this.opts.runtime.removeContainer(c.id)));
    }
    this.forget(uid);
  }

  /** Graceful deletion: SIGTERM, SIGKILL after the grace period, remove, then confirm. */
  private async deletePod(pod: Pod, observed: ContainerDetails[]): Promise<void> {
    const uid = pod.metadata!.uid;
    const state = this.stateOf(uid);
    if (observed.length > 0) {
      const grace = gracePeriodSeconds(pod);
      await Promise.all(
        observed
          .filter((c) => RUNNING.has(c.state) && c.labels[LABEL_CONTAINER_NAME] !== INFRA_CONTAINER_NAME)
          .map((c) => this.opts.runtime.stopContainer(c.id, grace)),
      );
      await Promise.all(observed.map((c) => this.opts.runtime.removeContainer(c.id)));
      if ((await this.observe(uid)).length > 0) throw new Error(`containers of pod ${pod.metadata!.name} are still present`);
    }
    if (state.lastUpdate?.deleted) return;
    this.emit(state, {
      namespace: pod.metadata!.namespace,
      name: pod.metadata!.name,
      uid,
      status: state.lastUpdate?.status ?? pod.status,
      deleted: true,
    });
  }

  private async runPod(pod: Pod, initial: ContainerDetails[]): Promise<void> {
    const { runtime } = this.opts;
    const uid = pod.metadata!.uid;
    const state = this.stateOf(uid);
    const specNames = new Set((pod.spec?.containers ?? []).map((c) => c.name));
    let observed = initial;
    let groups = groupApps(observed);
    const waiting = new Map<string, WaitingReason>();

    // Containers whose name left the spec go (a spec change that removed them).
    for (const [name, list] of groups) {
      if (specNames.has(name)) continue;
      await this.stopAndRemove(list, gracePeriodSeconds(pod));
      groups.delete(name);
    }

    if (this.isTerminal(pod, groups)) {
      // A finished pod keeps no sandbox: its published ports are freed.
      await Promise.all(
        observed.filter((c) => isInfra(c) && RUNNING.has(c.state)).map((c) => runtime.stopContainer(c.id, 0)),
      );
      if (groups.size === 0) return; // finished before the agent restarted; the master has its status
      this.report(pod, state, undefined, groups, waiting);
      state.converged = signature((await this.observe(uid)).map((c) => `${c.id}:${c.state}`));
      return;
    }

    const infraHash = infraSpecHash(pod, this.opts.pauseImage);
    let infra = observed.find((c) => isInfra(c) && RUNNING.has(c.state) && c.labels[LABEL_SPEC_HASH] === infraHash);
    if (!infra) {
      // No usable network namespace: containers still running in an old one would
      // stay cut off from the new one, so they stop and restart in the new sandbox.
      const running = [...groups.values()].flat().filter((c) => RUNNING.has(c.state));
      await Promise.all(running.map((c) => runtime.stopContainer(c.id, gracePeriodSeconds(pod))));
      await Promise.all(observed.filter(isInfra).map((c) => runtime.removeContainer(c.id)));
      const made = await this.createSandbox(pod, state);
      if (!made) {
        const problem = state.sandboxFailure!;
        const reason: WaitingReason = { reason: 'CreatePodSandboxError', message: problem.message };
        for (const name of specNames) waiting.set(name, reason);
        this.report(pod, state, undefined, groupApps(await this.observe(uid)), waiting, reason);
        return;
      }
      infra = made;
      observed = await this.observe(uid);
      groups = groupApps(observed);
    } else {
      // Leftover infra containers (an old hash, a dead one) are not needed.
      await Promise.all(observed.filter((c) => isInfra(c) && c.id !== infra!.id).map((c) => runtime.removeContainer(c.id)));
    }

    // App containers are independent of each other once the sandbox exists: converge
    // them in parallel (a pod of three starts as fast as a pod of one).
    const infraNow = infra;
    const results = await Promise.all(
      (pod.spec?.containers ?? []).map((c) => this.syncContainer(pod, c, groups.get(c.name) ?? [], infraNow, state, waiting)),
    );
    const acted = results.some(Boolean);
    if (acted) {
      observed = await this.observe(uid);
      groups = groupApps(observed);
      infra = observed.find((c) => c.id === infra!.id) ?? infra;
    }
    const removed = await this.collectGarbage(groups);
    this.report(pod, state, infra, groups, waiting);
    if (waiting.size === 0) {
      if (removed) observed = await this.observe(uid);
      state.converged = signature(observed.map((c) => `${c.id}:${c.state}`));
    }
  }

  /** Creates and starts the infra container; undefined (with state.sandboxFailure set) when Docker refuses. */
  private async createSandbox(pod: Pod, state: PodState): Promise<ContainerDetails | undefined> {
    const { runtime, clock } = this.opts;
    const key = `${pod.metadata!.uid}/${INFRA_CONTAINER_NAME}`;
    if (state.sandboxFailure && !this.sandboxBackoff.ready(key, state.sandboxFailure.at)) {
      this.wakeAt(pod.metadata!.uid, this.sandboxBackoff.readyAt(key, state.sandboxFailure.at));
      return undefined;
    }
    const spec = infraContainerSpec(pod, this.opts.pauseImage, this.opts.nodeName);
    let id: string | undefined;
    try {
      await this.puller.ensure(this.opts.pauseImage, 'IfNotPresent');
      id = await runtime.createContainer(spec);
      await runtime.startContainer(id);
      const infra = await runtime.inspectContainer(id);
      state.sandboxFailure = undefined;
      this.sandboxBackoff.reset(key);
      return infra;
    } catch (err) {
      // A hostPort already taken, a missing pause image: the pod cannot run until that
      // changes. Reported in its status and retried with back-off.
      const message = (err as Error).message;
      this.opts.logger.warn({ err, pod: pod.metadata!.name }, 'failed to create pod sandbox');
      if (id) await runtime.removeContainer(id).catch(() => undefined);
      this.sandboxBackoff.step(key);
      state.sandboxFailure = { at: clock.now(), message };
      this.wakeAt(pod.metadata!.uid, this.sandboxBackoff.readyAt(key, clock.now()));
      return undefined;
    }
  }

  /**
   * Converges one app container: adopt, recreate on a spec change, restart per the
   * restart policy (with back-off), or create. Returns whether Docker was changed.
   * Problems the user must fix become the container's waiting reason.
   */
  private async syncContainer(
    pod: Pod,
    container: Container,
    history: ContainerDetails[],
    infra: ContainerDetails,
    state: PodState,
    waiting: Map<string, WaitingReason>,
  ): Promise<boolean> {
    const { runtime, clock } = this.opts;
    const uid = pod.metadata!.uid;
    const key = `${uid}/${container.name}`;
    let acted = false;
    let current: ContainerDetails | undefined = history[0];
    let attempt = current ? attemptOf(current.labels) + 1 : 0;

    if (current && current.labels[LABEL_SPEC_HASH] !== appSpecHash(container)) {
      await this.stopAndRemove([current], gracePeriodSeconds(pod));
      this.restartBackoff.reset(key);
      current = undefined;
      acted = true;
    }
    if (current && RUNNING.has(current.state)) return acted;
    if (current && current.state === 'created' && !current.error) {
      // Created but never started (the agent stopped in between): start it now.
      await runtime.startContainer(current.id).catch((err) => this.opts.logger.warn({ err }, 'failed to start container'));
      return true;
    }
    const restarting = current !== undefined && hasExited(current);
    if (current && restarting) {
      if (!shouldRestart(pod.spec?.restartPolicy ?? '', current)) return acted;
      const finished = Date.parse(current.finishedAt || current.createdAt) || clock.now();
      const started = Date.parse(current.startedAt);
      const ran = Number.isFinite(started) ? Math.max(0, finished - started) : 0;
      const readyAt = this.restartBackoff.readyAt(key, finished, ran);
      if (readyAt > clock.now()) {
        const delay = Math.round(this.restartBackoff.delayMs(key) / 1000);
        waiting.set(container.name, {
          reason: 'CrashLoopBackOff',
          message: `back-off ${delay}s restarting failed container=${container.name} pod=${pod.metadata!.name}_${pod.metadata!.namespace}(${uid})`,
        });
        this.wakeAt(uid, readyAt);
        return acted;
      }
    }

    const pullFailure = state.pullFailures.get(container.name);
    if (pullFailure && !this.pullBackoff.ready(key, pullFailure.at)) {
      waiting.set(container.name, {
        reason: pullFailure.reason === 'ErrImagePull' ? 'ImagePullBackOff' : pullFailure.reason,
        message: `Back-off pulling image "${container.image}": ${pullFailure.message}`,
      });
      this.wakeAt(uid, this.pullBackoff.readyAt(key, pullFailure.at));
      return acted;
    }
    try {
      await this.puller.ensure(container.image, container.imagePullPolicy);
      state.pullFailures.delete(container.name);
      this.pullBackoff.reset(key);
    } catch (err) {
      const reason = err instanceof ImageNeverPullError ? 'ErrImageNeverPull' : 'ErrImagePull';
      const message = (err as Error).message;
      this.pullBackoff.step(key);
      state.pullFailures.set(container.name, { at: clock.now(), message, reason });
      waiting.set(container.name, { reason, message });
      this.wakeAt(uid, this.pullBackoff.readyAt(key, clock.now()));
      return acted;
    }

    let spec;
    try {
      spec = appContainerSpec(pod, container, {
        nodeName: this.opts.nodeName,
        infraId: infra.id,
        podIP: infra.ipAddress,
        hostIP: this.opts.hostIP(),
        attempt,
      });
    } catch (err) {
      if (!(err instanceof ContainerConfigError)) throw err;
      // Retrying cannot help until the spec changes (which queues the pod again).
      waiting.set(container.name, { reason: 'CreateContainerConfigError', message: err.message });
      return acted;
    }
    let id: string;
    try {
      id = await runtime.createContainer(spec);
    } catch (err) {
      // Docker refused the configuration (a memory limit below its minimum, ...).
      waiting.set(container.name, { reason: 'CreateContainerError', message: (err as Error).message });
      this.wakeAt(uid, clock.now() + CRASH_LOOP_BACKOFF.initialMs);
      return acted;
    }
    if (restarting) this.restartBackoff.step(key);
    try {
      await runtime.startContainer(id);
    } catch (err) {
      // Docker keeps the container with its start error; the next sync reports it as
      // terminated (ContainerCannotRun) and restarts it per the policy, with back-off.
      this.opts.logger.info({ err, pod: pod.metadata!.name, container: container.name }, 'container failed to start');
      this.queue.add(uid);
    }
    return true;
  }

  /** Keeps the newest two containers of each name (current and previous), removes older exited ones. */
  private async collectGarbage(groups: Map<string, ContainerDetails[]>): Promise<boolean> {
    const old = [...groups.values()].flatMap((list) => list.slice(2)).filter((c) => !RUNNING.has(c.state));
    await Promise.all(old.map((c) => this.opts.runtime.removeContainer(c.id)));
    return old.length > 0;
  }

  private async stopAndRemove(list: ContainerDetails[], grace: number): Promise<void> {
    await Promise.all(list.filter((c) => RUNNING.has(c.state)).map((c) => this.opts.runtime.stopContainer(c.id, grace)));
    await Promise.all(list.map((c) => this.opts.runtime.removeContainer(c.id)));
  }

  /** A pod whose containers all ran to an end its restart policy accepts. */
  private isTerminal(pod: Pod, groups: Map<string, ContainerDetails[]>): boolean {
    const policy = pod.spec?.restartPolicy || 'Always';
    const containers = pod.spec?.containers ?? [];
    if (groups.size === 0) {
      // Nothing here, yet the master recorded an end: do not run the pod a second time.
      const phase = pod.status?.phase;
      return policy !== 'Always' && (phase === 'Succeeded' || phase === 'Failed');
    }
    if (policy === 'Always' || containers.length === 0) return false;
    return containers.every((c) => {
      const current = groups.get(c.name)?.[0];
      return current !== undefined && hasExited(current) && !shouldRestart(policy, current);
    });
  }

  private report(
    pod: Pod,
    state: PodState,
    infra: ContainerDetails | undefined,
    groups: Map<string, ContainerDetails[]>,
    waiting: Map<string, WaitingReason>,
    podProblem?: WaitingReason,
  ): void {
    const containers: ContainerView[] = (pod.spec?.containers ?? []).map((c) => ({
      name: c.name,
      image: c.image,
      current: groups.get(c.name)?.[0],
      previous: groups.get(c.name)?.[1],
      waiting: waiting.get(c.name),
    }));
    const status: PodStatus = computePodStatus({
      pod,
      infra,
      containers,
      nodeName: this.opts.nodeName,
      hostIP: this.opts.hostIP(),
      now: this.opts.clock.now(),
      previous: state.lastUpdate?.status,
      podProblem,
    });
    if (state.lastUpdate && !state.lastUpdate.deleted && sameStatus(state.lastUpdate.status, status)) return;
    this.emit(state, { namespace: pod.metadata!.namespace, name: pod.metadata!.name, uid: pod.metadata!.uid, status, deleted: false });
  }

  private emit(state: PodState, update: PodStatusUpdate): void {
    state.lastUpdate = update;
    try {
      this.opts.onStatus(update);
    } catch (err) {
      // The listener's failure (a closed stream) must not fail the sync; the status is
      // kept and resent after reconnecting.
      this.opts.logger.warn({ err }, 'failed to hand over pod status');
    }
  }
}

/** An order-independent summary of a pod's containers and their states. */
function signature(entries: string[]): string {
  return [...entries].sort().join(',');
}

function isInfra(c: ContainerDetails): boolean {
  return c.labels[LABEL_CONTAINER_NAME] === INFRA_CONTAINER_NAME;
}

/** App containers by name, newest attempt first. */
function groupApps(observed: readonly ContainerDetails[]): Map<string, ContainerDetails[]> {
  const groups = new Map<string, ContainerDetails[]>();
  for (const c of observed) {
    if (isInfra(c)) continue;
    const name = c.labels[LABEL_CONTAINER_NAME] ?? '';
    const list = groups.get(name) ?? [];
    list.push(c);
    groups.set(name, list);
  }
  for (const list of groups.values()) {
    list.sort((a, b) => attemptOf(b.labels) - attemptOf(a.labels) || b.createdAt.localeCompare(a.createdAt));
  }
  return groups;
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
