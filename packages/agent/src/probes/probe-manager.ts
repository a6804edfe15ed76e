import type { Clock, Container, Logger, Pod, Probe } from '@orchard/api/agent';
import type { ContainerDetails, ContainerRuntime } from '../runtime/container-runtime';
import { ProbeWorker, type ProbeKind } from './probe-worker';
import { runHandler } from './run-handler';

/** A running container of a pod, with its spec. */
export interface ProbedContainer {
  spec: Container;
  details: ContainerDetails;
}

/** A container whose liveness or startup probe failed: it must be restarted. */
export interface ProbeFailure {
  uid: string;
  containerId: string;
  containerName: string;
  kind: 'liveness' | 'startup';
  message: string;
  /** probe.terminationGracePeriodSeconds, which overrides the pod's for this kill. */
  graceSeconds?: number;
}

export interface ProbeManagerOptions {
  runtime: ContainerRuntime;
  clock: Clock;
  logger: Logger;
  /** The readiness or started flag of a container of the pod changed: report its status. */
  onChange: (uid: string) => void;
  /** A liveness or startup probe failed: the container must be killed and restarted. */
  onFailure: (failure: ProbeFailure) => void;
}

interface Entry {
  uid: string;
  workers: ProbeWorker[];
  /** Startup succeeded (or there is no startup probe). */
  started: boolean;
  ready: boolean;
  hasReadiness: boolean;
}

/**
 * Runs the probes of every running container on the node, one worker per container
 * and probe, keyed by Docker container id (a restarted container is a new container
 * and starts over, as in Kubernetes). The reconciler tells it which containers run
 * after each sync and reads readiness back when it computes a pod's status.
 */
export class ProbeManager {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly opts: ProbeManagerOptions) {}

  /**
   * Starts workers for the pod's running containers that have none, and stops those of
   * its containers that no longer run.
   */
  sync(pod: Pod, running: readonly ProbedContainer[], podIP: string): void {
    const uid = pod.metadata!.uid;
    const ids = new Set(running.map((r) => r.details.id));
    for (const [id, e] of this.entries) {
      if (e.uid === uid && !ids.has(id)) this.drop(id);
    }
    for (const r of running) {
      if (!this.entries.has(r.details.id)) this.add(pod, r, podIP);
    }
  }

  /** Whether a running container counts as ready (no readiness probe: once started). */
  ready(containerId: string): boolean {
    const e = this.entries.get(containerId);
    return e ? e.started && e.ready : true;
  }

  /** Whether a running container passed its startup probe (or has none). */
  started(containerId: string): boolean {
    return this.entries.get(containerId)?.started ?? true;
  }

  /** Stops every worker of a pod (deleted, or no longer on this node). */
  forgetPod(uid: string): void {
    for (const [id, e] of this.entries) if (e.uid === uid) this.drop(id);
  }

  stop(): void {
    for (const id of [...this.entries.keys()]) this.drop(id);
  }

  private drop(id: string): void {
    for (const w of this.entries.get(id)?.workers ?? []) w.stop();
    this.entries.delete(id);
  }

  private add(pod: Pod, r: ProbedContainer, podIP: string): void {
    const uid = pod.metadata!.uid;
    const spec = r.spec;
    const id = r.details.id;
    const e: Entry = { uid, workers: [], started: !spec.startupProbe, ready: !spec.readinessProbe, hasReadiness: !!spec.readinessProbe };
    this.entries.set(id, e);
    const startedAtMs = Date.parse(r.details.startedAt) || this.opts.clock.now();
    const target = { runtime: this.opts.runtime, containerId: id, container: spec, podIP };
    const worker = (kind: ProbeKind, probe: Probe, onResult: (ok: boolean, message: string) => void) => {
      const field = `${kind}Probe`;
      const w = new ProbeWorker({
        kind,
        probe,
        clock: this.opts.clock,
        startedAtMs,
        attempt: (timeoutMs) => runHandler(probe, target, timeoutMs, field),
        onResult: (ok, message) => {
          if (this.entries.get(id) !== e) return;
          onResult(ok, message);
        },
      });
      e.workers.push(w);
      w.start();
    };
    const failed = (kind: 'liveness' | 'startup', probe: Probe, message: string) => {
      const grace = probe.terminationGracePeriodSeconds;
      this.opts.onFailure({
        uid,
        containerId: id,
        containerName: spec.name,
        kind,
        message,
        graceSeconds: grace === undefined ? undefined : Number(grace),
      });
    };
    const startOthers = () => {
      if (spec.livenessProbe) {
        const probe = spec.livenessProbe;
        worker('liveness', probe, (ok, message) => {
          if (!ok) failed('liveness', probe, message);
        });
      }
      if (spec.readinessProbe) {
        worker('readiness', spec.readinessProbe, (ok) => {
          e.ready = ok;
          this.opts.onChange(uid);
        });
      }
    };
    if (spec.startupProbe) {
      const probe = spec.startupProbe;
      // Liveness and readiness wait until the container has started.
      worker('startup', probe, (ok, message) => {
        if (!ok) {
          failed('startup', probe, message);
          return;
        }
        e.started = true;
        startOthers();
        this.opts.onChange(uid);
      });
    } else {
      startOthers();
    }
  }
}
