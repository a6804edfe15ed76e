import type { Clock, Condition, Logger } from '@orchard/api/agent';
import type { ContainerRuntime } from '../runtime/container-runtime';
import { RuntimeUnavailableError } from '../runtime/errors';

/** The Ready condition's reason while the node's Docker engine does not answer. */
export const RUNTIME_UNHEALTHY_REASON = 'ContainerRuntimeUnhealthy';

/**
 * A label no container carries: the watch's own event stream stays silent and only its
 * end (the engine went away) matters.
 */
const SILENT_FILTER = { 'io.orchard.engine-health': 'watch' } as const;

export interface EngineHealthOptions {
  runtime: Pick<ContainerRuntime, 'watchEvents' | 'info'>;
  /** Named in the condition's message (the --docker-socket path). */
  socketPath: string;
  clock: Clock;
  logger: Logger;
  /** Called when the engine stops or starts answering, with the Ready condition to report (undefined: ready). */
  onChange: (notReady: Condition | undefined) => void;
  /** How often a silent engine is asked again (default 1 s: it is down, and a Pi's dockerd restarts in seconds). */
  retryMs?: number;
}

/**
 * Watches whether the node's Docker engine answers, without polling while it does: an
 * engine event stream is held open (filtered to nothing), and only when it ends (dockerd
 * stopped, crashed or restarted) is the engine asked for its info — every second until
 * it answers again. While it does not, the node is not ready: the agent reports
 * Ready=False with reason ContainerRuntimeUnhealthy, as a kubelet whose runtime is down.
 */
export class EngineHealth {
  private subscription?: { close(): void };
  /** Identifies the live subscription: a stream closed on purpose ends silently. */
  private subscriptionToken?: object;
  private retry?: { cancel(): void };
  private down?: Condition;
  private checking = false;
  private stopped = true;

  constructor(private readonly opts: EngineHealthOptions) {}

  /** The Ready=False condition while the engine does not answer, else undefined. */
  get notReady(): Condition | undefined {
    return this.down;
  }

  /** Checks the engine once now, then watches it. */
  start(): void {
    this.stopped = false;
    void this.check();
  }

  stop(): void {
    this.stopped = true;
    this.dropSubscription();
    this.retry?.cancel();
  }

  /**
   * Something else could not reach the engine (a list or create that failed as
   * unavailable): ask it now. A dockerd stopping cleanly removes its socket at once but
   * may keep the event stream open for seconds while it stops its containers.
   */
  suspect(): void {
    if (!this.down) void this.check();
  }

  /** Asks the engine; watches its event stream when it answers, asks again later when not. */
  private async check(): Promise<void> {
    if (this.stopped || this.checking) return;
    this.checking = true;
    try {
      await this.opts.runtime.info();
    } catch (err) {
      if (this.stopped) return;
      this.dropSubscription();
      this.setDown(err as Error);
      this.retry?.cancel();
      this.retry = this.opts.clock.setTimeout(() => void this.check(), this.opts.retryMs ?? 1_000);
      return;
    } finally {
      this.checking = false;
    }
    if (this.stopped) return;
    this.setUp();
    if (!this.subscriptionToken) this.watch();
  }

  /** Holds an event stream open; its end (and only the end of the live one) triggers a check. */
  private watch(): void {
    const token = {};
    this.subscriptionToken = token;
    const sub = this.opts.runtime.watchEvents(SILENT_FILTER, () => undefined, () => {
      if (this.subscriptionToken !== token) return;
      this.dropSubscription();
      // The stream ending is the hint; the engine answering (or not) is the verdict.
      void this.check();
    });
    if (this.subscriptionToken === token) this.subscription = sub;
  }

  private dropSubscription(): void {
    const sub = this.subscription;
    this.subscription = undefined;
    this.subscriptionToken = undefined;
    sub?.close();
  }

  private setDown(err: Error): void {
    const message = `Docker engine is not answering on ${this.opts.socketPath}: ${rootMessage(err)}`;
    if (this.down?.message === message) return;
    const first = !this.down;
    const now = new Date(this.opts.clock.now()).toISOString();
    const since = this.down?.lastTransitionTime ?? now;
    this.down = { type: 'Ready', status: 'False', reason: RUNTIME_UNHEALTHY_REASON, message, lastTransitionTime: since, lastHeartbeatTime: now, lastProbeTime: '' };
    if (first) this.opts.logger.warn({ socket: this.opts.socketPath, err }, 'docker engine is not answering; node not ready');
    this.opts.onChange(this.down);
  }

  private setUp(): void {
    if (!this.down) return;
    this.down = undefined;
    this.opts.logger.info({ socket: this.opts.socketPath }, 'docker engine answers again; node ready');
    this.opts.onChange(undefined);
  }
}

/** The innermost message of an error chain (the socket error, not the wrapping). */
function rootMessage(err: Error): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

/**
 * The runtime, telling `onUnavailable` whenever one of its calls fails because the engine
 * cannot be reached (RuntimeUnavailableError): the reconciler's calls then double as
 * health checks at no extra cost.
 */
export function reportingUnavailable<T extends object>(runtime: T, onUnavailable: () => void): T {
  return new Proxy(runtime, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const out: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(out instanceof Promise)) return out;
        return out.catch((err: unknown) => {
          if (err instanceof RuntimeUnavailableError) onUnavailable();
          throw err;
        });
      };
    },
  });
}
