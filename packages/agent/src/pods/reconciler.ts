import type { Clock, ConfigMap, Container, Logger, Pod, PodStatus, PodStatusUpdate, Secret } from '@orchard/api/agent';
import type { ContainerDetails, ContainerRuntime, ContainerSummary } from '../runtime/container-runtime';
import { ContainerNotFoundError } from '../runtime/errors';
import { ProbeManager, type ProbeFailure } from '../probes/probe-manager';
import { Backoff, CRASH_LOOP_BACKOFF } from './backoff';
import { LABEL_POD_UID, gracePeriodSeconds, nodeSelectorLabels } from './container-labels';
import { ImagePuller } from './image-puller';
import { ConfigVolumes } from './config-files';
import type { Mounter } from './mounter';
import { PodConfig } from './pod-config';
import { KeyedQueue } from './keyed-queue';
import { RUNNING, isInfra, signature } from './observed';
import { podFingerprint } from './pod-fingerprint';
import { computePodStatus, sameStatus, type ContainerView } from './pod-status';
import { labelledGrace, stopGracefully, terminateContainers } from './pod-termination';
import { runPod, type PodOutcome } from './run-pod';
import type { PodState, SyncContext } from './sync-context';

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
  /** Where configMap and secret volumes are projected (none: such volumes are refused). */
  podFilesDir?: string;
  /** Mounts the tmpfs of secret volumes (none: they are plain files under podFilesDir). */
  mounter?: Mounter;
}

/** Retry delay for a sync that failed for a reason outside the pod (engine unreachable). */
const SYNC_RETRY_MS = 5_000;
/** Docker events that say "look at this pod again". */
const POD_EVENTS = new Set(['die', 'oom', 'start', 'destroy']);

/**
 * Level-triggered pod reconciler. The desired pods (from the master or the local copy)
 * are compared with the containers Docker reports for this node, and each pod is
 * converged by a sync keyed by its uid: one sync per pod at a time, many pods in
 * parallel. Docker events and a periodic resync only say "look at this pod again".
 *
 * A sync has three outcomes: the pod is run (run-pod.ts: sandbox, then containers), it
 * is deleted gracefully and the deletion confirmed, or its containers are orphans and
 * removed. Problems of a pod become its status; errors of the engine are retried.
 */
export class PodReconciler {
  private desired = new Map<string, Pod>();
  private fingerprints = new Map<string, Buffer>();
  /** Until the first desired set arrives nothing is removed: an empty view is not "no pods". */
  private desiredKnown = false;
  private readonly states = new Map<string, PodState>();
  /** The ConfigMaps and Secrets of the last desired set (memory only). */
  private readonly podConfig = new PodConfig();
  private readonly queue: KeyedQueue;
  private readonly ctx: SyncContext;
  private readonly probes: ProbeManager;
  private events?: { close(): void };
  private resyncTimer?: { cancel(): void };
  private watchRetry?: { cancel(): void };
  private watchFailures = 0;
  private stopped = true;
  private resyncing?: Promise<void>;
  private resyncAgain?: { undesiredOnly: boolean };

  constructor(private readonly opts: PodReconcilerOptions) {
    this.queue = new KeyedQueue((uid) => this.sync(uid), opts.concurrency ?? 8);
    this.ctx = {
      runtime: opts.runtime,
      clock: opts.clock,
      logger: opts.logger,
      nodeName: opts.nodeName,
      pauseImage: opts.pauseImage,
      hostIP: opts.hostIP,
      puller: new ImagePuller(opts.runtime),
      config: this.podConfig,
      configVolumes: new ConfigVolumes(opts.podFilesDir, opts.mounter),
      restartBackoff: new Backoff(opts.clock, CRASH_LOOP_BACKOFF),
      pullBackoff: new Backoff(opts.clock, CRASH_LOOP_BACKOFF),
      sandboxBackoff: new Backoff(opts.clock, CRASH_LOOP_BACKOFF),
      wakeAt: (uid, at) => this.wakeAt(uid, at),
      requeue: (uid) => this.queue.add(uid),
      observe: (uid) => this.observe(uid),
    };
    this.probes = new ProbeManager({
      runtime: opts.runtime,
      clock: opts.clock,
      logger: opts.logger,
      onChange: (uid) => this.queue.add(uid),
      onFailure: (f) => this.probeFailed(f),
    });
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
    this.watchRetry?.cancel();
    this.resyncTimer?.cancel();
    for (const s of this.states.values()) s.timer?.cancel();
    this.probes.stop();
    await this.queue.idle();
  }

  /**
   * Replaces the desired set (the complete set of pods bound to this node). Pods whose
   * spec or metadata changed, new pods, vanished pods and pods whose ConfigMaps or
   * Secrets changed are synced. Without `config` (the local copy) the last known
   * ConfigMaps and Secrets stay.
   */
  setDesired(pods: readonly Pod[], config?: { configMaps: readonly ConfigMap[]; secrets: readonly Secret[] }): void {
    if (config) this.podConfig.set(config.configMaps, config.secrets);
    const wasKnown = this.desiredKnown;
    const next = new Map<string, Pod>();
    const prints = new Map<string, Buffer>();
    const changed: string[] = [];
    for (const pod of pods) {
      const uid = pod.metadata?.uid;
      if (!uid) continue;
      next.set(uid, pod);
      const print = Buffer.concat([podFingerprint(pod), Buffer.from(this.podConfig.fingerprint(pod))]);
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
    // The desired pods that changed are queued above; the others need no look because
    // the set was resent (the master resends it on every status write of a pod here, and
    // queueing every pod still starting each time made each start run twice or more).
    if (!wasKnown || changed.length > 0) void this.resyncAll({ undesiredOnly: true });
  }

  /** The last status update of every pod, to resend after the master connection is back. */
  currentStatuses(): PodStatusUpdate[] {
    return [...this.states.values()].flatMap((s) => (s.lastUpdate ? [s.lastUpdate] : []));
  }

  /**
   * Queues every pod, desired or found in Docker, except those unchanged since they
   * converged; with undesiredOnly, only the pods found in Docker that are not desired.
   * Calls while one runs are folded into one more run after it (a burst of desired
   * sets lists the engine's containers twice, not once per set).
   */
  async resyncAll(opts: { undesiredOnly?: boolean } = {}): Promise<void> {
    if (this.resyncing) {
      this.resyncAgain = { undesiredOnly: (this.resyncAgain?.undesiredOnly ?? true) && opts.undesiredOnly === true };
      return this.resyncing;
    }
    this.resyncing = this.resyncOnce(opts.undesiredOnly === true);
    try {
      await this.resyncing;
    } finally {
      this.resyncing = undefined;
    }
    const again = this.resyncAgain;
    this.resyncAgain = undefined;
    if (again) await this.resyncAll(again);
  }

  private async resyncOnce(undesiredOnly: boolean): Promise<void> {
    if (!this.desiredKnown || this.stopped) return;
    const uids = new Set(undesiredOnly ? [] : this.desired.keys());
    let found: ContainerSummary[] = [];
    try {
      found = await this.opts.runtime.listContainers(nodeSelectorLabels(this.opts.nodeName));
      // A pod's emptyDir volumes outlive its containers; their pod must be looked at too.
      const volumes = await this.opts.runtime.listVolumes(nodeSelectorLabels(this.opts.nodeName));
      for (const v of volumes) {
        const uid = v.labels[LABEL_POD_UID];
        if (uid && (!undesiredOnly || !this.desired.has(uid))) uids.add(uid);
      }
    } catch (err) {
      // Retried by the next periodic resync; the desired pods are still queued, in full.
      this.opts.logger.warn({ err }, 'failed to list containers for resync');
      for (const s of this.states.values()) s.converged = undefined;
    }
    if (this.stopped) return;
    const byPod = new Map<string, ContainerSummary[]>();
    for (const c of found) {
      const uid = c.labels[LABEL_POD_UID];
      if (!uid) continue;
      if (!undesiredOnly || !this.desired.has(uid)) uids.add(uid);
      byPod.set(uid, [...(byPod.get(uid) ?? []), c]);
    }
    for (const uid of uids) {
      const converged = this.states.get(uid)?.converged;
      if (converged !== undefined && converged === signature(byPod.get(uid) ?? [])) continue;
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
    const since = this.opts.clock.now();
    this.events = this.opts.runtime.watchEvents(
      nodeSelectorLabels(this.opts.nodeName),
      (ev) => {
        const uid = ev.labels[LABEL_POD_UID];
        if (uid && POD_EVENTS.has(ev.action)) this.queue.add(uid);
      },
      (err) => {
        if (this.stopped) return;
        // The engine went away (dockerd restart): watch again and look at everything,
        // since containers may have died with it. While it stays away, retries slow
        // down (1 s doubling to 30 s); a stream that stayed up a minute starts over.
        if (this.opts.clock.now() - since > 60_000) this.watchFailures = 0;
        const delay = Math.min(30_000, 1_000 * 2 ** this.watchFailures++);
        const log = this.watchFailures <= 1 ? 'warn' : 'debug';
        this.opts.logger[log]({ err, retryInMs: delay }, 'docker event stream ended; watching again');
        for (const s of this.states.values()) s.converged = undefined;
        this.watchRetry = this.opts.clock.setTimeout(() => {
          this.watchRetry = undefined;
          this.watchEvents();
          void this.resyncAll();
        }, delay);
      },
    );
  }

  /**
   * The engine answers again (the agent's health watch saw it come back): watch its
   * events now rather than at the next, backed-off retry — a restarted dockerd reports the
   * containers it lost a few seconds after it starts — and look at every pod.
   */
  engineBack(): void {
    if (this.stopped) return;
    if (this.watchRetry) {
      this.watchRetry.cancel();
      this.watchRetry = undefined;
      this.watchFailures = 0;
      this.watchEvents();
    }
    void this.resyncAll();
  }

  private stateOf(uid: string): PodState {
    let s = this.states.get(uid);
    if (!s) {
      s = { pullFailures: new Map(), probeFailures: new Map() };
      this.states.set(uid, s);
    }
    return s;
  }

  private forget(uid: string): void {
    this.states.get(uid)?.timer?.cancel();
    this.probes.forgetPod(uid);
    this.states.delete(uid);
    this.ctx.restartBackoff.forgetPrefix(`${uid}/`);
    this.ctx.pullBackoff.forgetPrefix(`${uid}/`);
    this.ctx.sandboxBackoff.forgetPrefix(`${uid}/`);
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
        const state = this.stateOf(uid);
        const survivors = await this.killProbeFailures(pod, state, observed);
        const outcome = await runPod(this.ctx, pod, state, survivors);
        if (outcome) this.watchProbes(pod, outcome);
        if (outcome) this.report(pod, state, outcome);
        if (outcome?.converged) state.converged = signature(outcome.converged);
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
      await terminateContainers(this.opts.runtime, observed, labelledGrace);
    }
    await this.removeVolumes(uid);
    this.forget(uid);
  }

  /** Removes the pod's own volumes (emptyDir), once its containers are gone. */
  private async removeVolumes(uid: string): Promise<void> {
    await this.ctx.configVolumes.removePod(uid);
    const volumes = await this.opts.runtime.listVolumes({ ...nodeSelectorLabels(this.opts.nodeName), [LABEL_POD_UID]: uid });
    await Promise.all(volumes.map((v) => this.opts.runtime.removeVolume(v.name)));
  }

  /** Graceful deletion: SIGTERM, SIGKILL after the grace period, remove, then confirm once. */
  private async deletePod(pod: Pod, observed: ContainerDetails[]): Promise<void> {
    const uid = pod.metadata!.uid;
    const state = this.stateOf(uid);
    state.timer?.cancel();
    this.probes.forgetPod(uid);
    if (observed.length > 0) {
      await terminateContainers(this.opts.runtime, observed, gracePeriodSeconds(pod), this.stopHooks(pod, observed));
      if ((await this.observe(uid)).length > 0) throw new Error(`containers of pod ${pod.metadata!.name} are still present`);
    }
    if (!state.lastUpdate?.deleted) await this.removeVolumes(uid);
    if (state.lastUpdate?.deleted) return;
    this.emit(state, {
      namespace: pod.metadata!.namespace,
      name: pod.metadata!.name,
      uid,
      status: state.lastUpdate?.status ?? pod.status,
      deleted: true,
    });
  }

  private report(pod: Pod, state: PodState, outcome: PodOutcome): void {
    const view = (c: Container): ContainerView => ({
      name: c.name,
      image: c.image,
      current: outcome.groups.get(c.name)?.[0],
      previous: outcome.groups.get(c.name)?.[1],
      waiting: outcome.waiting.get(c.name),
      ready: this.probeFlag(outcome, c.name, (id) => this.probes.ready(id)),
      started: this.probeFlag(outcome, c.name, (id) => this.probes.started(id)),
    });
    const status: PodStatus = computePodStatus({
      pod,
      infra: outcome.infra,
      containers: (pod.spec?.containers ?? []).map(view),
      initContainers: (pod.spec?.initContainers ?? []).map(view),
      nodeName: this.opts.nodeName,
      hostIP: this.opts.hostIP(),
      now: this.opts.clock.now(),
      previous: state.lastUpdate?.status,
      podProblem: outcome.podProblem,
    });
    if (state.lastUpdate && !state.lastUpdate.deleted && sameStatus(state.lastUpdate.status, status)) return;
    this.emit(state, { namespace: pod.metadata!.namespace, name: pod.metadata!.name, uid: pod.metadata!.uid, status, deleted: false });
  }

  /** A probe flag of the container's current Docker container (undefined when none). */
  private probeFlag(outcome: PodOutcome, name: string, flag: (id: string) => boolean): boolean | undefined {
    const current = outcome.groups.get(name)?.[0];
    return current ? flag(current.id) : undefined;
  }

  /** Hands the pod's running app containers to the prober (it drops those that stopped). */
  private watchProbes(pod: Pod, outcome: PodOutcome): void {
    const running = (pod.spec?.containers ?? []).flatMap((spec) => {
      const details = outcome.groups.get(spec.name)?.[0];
      return details && details.state === 'running' ? [{ spec, details }] : [];
    });
    this.probes.sync(pod, running, this.podIP(pod, outcome.infra ? [outcome.infra] : []));
  }

  /** The pod's IP: its infra container's, or the node's for a hostNetwork pod. */
  private podIP(pod: Pod, observed: readonly ContainerDetails[]): string {
    if (pod.spec?.hostNetwork) return this.opts.hostIP();
    return observed.find((c) => isInfra(c) && c.state === 'running')?.ipAddress ?? '';
  }

  private stopHooks(pod: Pod, observed: readonly ContainerDetails[]) {
    return { pod, podIP: this.podIP(pod, observed), clock: this.opts.clock, logger: this.opts.logger };
  }

  /** A liveness or startup probe failed: the container is killed by the pod's next sync. */
  private probeFailed(f: ProbeFailure): void {
    const pod = this.desired.get(f.uid);
    if (!pod || pod.metadata?.deletionTimestamp) return;
    const what = f.kind === 'liveness' ? 'Liveness' : 'Startup';
    this.opts.logger.warn(
      { pod: `${pod.metadata!.namespace}/${pod.metadata!.name}`, container: f.containerName, reason: 'Unhealthy' },
      `${what} probe failed: ${f.message}`,
    );
    this.stateOf(f.uid).probeFailures.set(f.containerId, f);
    this.queue.add(f.uid);
  }

  /**
   * Stops the containers whose liveness or startup probe failed, gracefully (preStop,
   * SIGTERM, SIGKILL after the grace period), and returns the pod's containers as they
   * are afterwards. The stopped container is then restarted by the usual path, per
   * the restart policy, counting as a restart.
   */
  private async killProbeFailures(pod: Pod, state: PodState, observed: ContainerDetails[]): Promise<ContainerDetails[]> {
    if (state.probeFailures.size === 0) return observed;
    const failures = [...state.probeFailures.values()];
    state.probeFailures.clear();
    const targets = failures.flatMap((f) => {
      const c = observed.find((x) => x.id === f.containerId && RUNNING.has(x.state));
      return c ? [{ f, c }] : [];
    });
    if (targets.length === 0) return observed;
    const hooks = this.stopHooks(pod, observed);
    await Promise.all(
      targets.map(({ f, c }) => {
        const what = f.kind === 'liveness' ? 'liveness' : 'startup';
        this.opts.logger.info(
          { pod: `${pod.metadata!.namespace}/${pod.metadata!.name}`, container: f.containerName, reason: 'Killing' },
          `Container ${f.containerName} failed ${what} probe, will be restarted`,
        );
        return stopGracefully(this.opts.runtime, c, f.graceSeconds ?? gracePeriodSeconds(pod), hooks);
      }),
    );
    return this.observe(pod.metadata!.uid);
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
