import type { Clock } from '@orchard/api/agent';

/** Kubernetes' crash-loop timing: 10 s doubling to 5 min, forgotten after 10 min of running. */
export const CRASH_LOOP_BACKOFF: BackoffPolicy = {
  initialMs: 10_000,
  maxMs: 300_000,
  resetAfterMs: 600_000,
};

export interface BackoffPolicy {
  /** The delay after the first delayed attempt; the very first retry is immediate. */
  initialMs: number;
  maxMs: number;
  /** Running (or succeeding) this long forgets earlier failures. */
  resetAfterMs: number;
}

/**
 * Per-key exponential back-off. The first retry of a key is immediate, then each
 * further one waits initialMs, doubling up to maxMs. Keys are "<pod uid>/<container>"
 * strings so a pod's entries can be forgotten together.
 */
export class Backoff {
  private readonly delays = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly policy: BackoffPolicy = CRASH_LOOP_BACKOFF,
  ) {}

  /** How long the next attempt of key must wait after the failure it retries. */
  delayMs(key: string): number {
    return this.delays.get(key) ?? 0;
  }

  /**
   * When the retry of a failure at failedAtMs may run. A failure after a long enough
   * run (ranMs) starts the back-off over.
   */
  readyAt(key: string, failedAtMs: number, ranMs = 0): number {
    if (ranMs >= this.policy.resetAfterMs) this.delays.delete(key);
    return failedAtMs + this.delayMs(key);
  }

  /** True when the retry of a failure at failedAtMs may run now. */
  ready(key: string, failedAtMs: number, ranMs = 0): boolean {
    return this.readyAt(key, failedAtMs, ranMs) <= this.clock.now();
  }

  /** Records a retry: the one after it waits longer. */
  step(key: string): void {
    const d = this.delays.get(key);
    this.delays.set(key, d === undefined || d === 0 ? this.policy.initialMs : Math.min(d * 2, this.policy.maxMs));
  }

  reset(key: string): void {
    this.delays.delete(key);
  }

  /** Forgets every key starting with prefix (a pod that is gone). */
  forgetPrefix(prefix: string): void {
    for (const k of [...this.delays.keys()]) if (k.startsWith(prefix)) this.delays.delete(k);
  }
}
