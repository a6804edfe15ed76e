import type { Clock, Probe } from '@orchard/api/agent';
import type { ProbeOutcome } from './probe-outcome';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

export interface ProbeWorkerOptions {
  kind: ProbeKind;
  probe: Probe;
  clock: Clock;
  /** When the container started (ms): the initial delay counts from there. */
  startedAtMs: number;
  /** One attempt of the probe's handler, bounded by timeoutMs. */
  attempt: (timeoutMs: number) => Promise<ProbeOutcome>;
  /** Called when the result changes, with the message of the attempt that decided it. */
  onResult: (ok: boolean, message: string) => void;
}

/**
 * Probes one container periodically and turns attempts into a result the way the
 * kubelet does: the result becomes success after successThreshold consecutive
 * successes and failure after failureThreshold consecutive failures. A readiness
 * result starts as failure, a liveness result as success; startup has none until it
 * is decided. A liveness failure or a decided startup probe ends the worker: the
 * container is restarted (a new container gets a new worker) or the startup probe has
 * done its job.
 */
export class ProbeWorker {
  private timer?: { cancel(): void };
  private stopped = false;
  private successes = 0;
  private failures = 0;
  private current: boolean | undefined;

  constructor(private readonly opts: ProbeWorkerOptions) {
    this.current = opts.kind === 'readiness' ? false : opts.kind === 'liveness' ? true : undefined;
  }

  /** The current result: undefined while a startup probe is undecided. */
  get result(): boolean | undefined {
    return this.current;
  }

  start(): void {
    const firstAt = this.opts.startedAtMs + seconds(this.opts.probe.initialDelaySeconds);
    this.schedule(Math.max(0, firstAt - this.opts.clock.now()));
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.opts.clock.setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const p = this.opts.probe;
    const began = this.opts.clock.now();
    const outcome = await this.opts.attempt(seconds(p.timeoutSeconds || 1));
    if (this.stopped) return;
    if (outcome.ok) {
      this.successes++;
      this.failures = 0;
      // Liveness and startup succeed on one success (Kubernetes requires threshold 1 there).
      const needed = this.opts.kind === 'readiness' ? Math.max(1, p.successThreshold) : 1;
      if (this.successes >= needed) this.decide(true, outcome.message);
    } else {
      this.failures++;
      this.successes = 0;
      if (this.failures >= Math.max(1, p.failureThreshold || 3)) this.decide(false, outcome.message);
    }
    if (this.stopped) return;
    // The period counts from the start of the attempt; a slow attempt delays the next one.
    const period = seconds(p.periodSeconds || 10);
    this.schedule(Math.max(0, began + period - this.opts.clock.now()));
  }

  private decide(ok: boolean, message: string): void {
    const final = (this.opts.kind === 'liveness' && !ok) || this.opts.kind === 'startup';
    if (final) this.stop();
    if (this.current === ok) return;
    this.current = ok;
    this.opts.onResult(ok, message);
  }
}

function seconds(n: number): number {
  return Number(n) * 1000;
}
