import type { Clock, Logger, PodStatusUpdate } from '@orchard/api/agent';
import type { ContainerDetails, ContainerRuntime } from '../runtime/container-runtime';
import type { ProbeFailure } from '../probes/probe-manager';
import type { Backoff } from './backoff';
import type { ImagePuller } from './image-puller';
import type { ConfigVolumes, ProjectedVolume } from './config-files';
import type { ConfigLookup } from './pod-config';

/** What the reconciler remembers about a pod between syncs (all of it can be lost safely). */
export interface PodState {
  pullFailures: Map<string, { at: number; message: string; reason: string }>;
  sandboxFailure?: { at: number; message: string };
  /** The pod's configMap and secret volumes as last projected. */
  projected?: Map<string, ProjectedVolume>;
  /** Containers (by Docker id) whose liveness or startup probe failed, to be killed by the next sync. */
  probeFailures: Map<string, ProbeFailure>;
  lastUpdate?: PodStatusUpdate;
  timer?: { at: number; cancel(): void };
  /**
   * The containers (id:state) the pod was left converged with. A periodic resync that
   * lists the same skips the pod: nothing changed, and anything time-driven (back-off)
   * has its own wake-up. Keeps an idle node's agent near zero CPU.
   */
  converged?: string;
}

/** What the phases of a pod sync (sandbox, containers, termination) share. */
export interface SyncContext {
  runtime: ContainerRuntime;
  clock: Clock;
  logger: Logger;
  nodeName: string;
  pauseImage: string;
  hostIP(): string;
  puller: ImagePuller;
  /** The ConfigMaps and Secrets the desired pods reference. */
  config: ConfigLookup;
  configVolumes: ConfigVolumes;
  restartBackoff: Backoff;
  pullBackoff: Backoff;
  sandboxBackoff: Backoff;
  /** Look at the pod again at time `at`. */
  wakeAt(uid: string, at: number): void;
  /** Look at the pod again as soon as possible. */
  requeue(uid: string): void;
  /** Every container of the pod on this node, inspected. */
  observe(uid: string): Promise<ContainerDetails[]>;
}
