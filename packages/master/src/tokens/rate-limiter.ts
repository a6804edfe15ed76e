import { TooManyAttemptsError } from './errors';

export interface RateLimiterOptions {
  readonly clock: { now(): number };
  /** Failures allowed per address within the window before joins from it are refused. */
  readonly maxFailures?: number;
  readonly windowMs?: number;
  /** Bound on tracked addresses, so a flood of sources cannot grow memory without limit. */
  readonly maxAddresses?: number;
}

/**
 * Limits repeated wrong join tokens per source address (sliding window). A legitimate
 * node that mistyped a token a few times is blocked only briefly; guessing secrets at
 * 5 tries a minute is hopeless against 82 bits.
 */
export class JoinRateLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly clock: { now(): number };
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxAddresses: number;

  constructor(opts: RateLimiterOptions) {
    this.clock = opts.clock;
    this.maxFailures = opts.maxFailures ?? 5;
    this.windowMs = opts.windowMs ?? 60_000;
    this.maxAddresses = opts.maxAddresses ?? 10_000;
  }

  /** Throws TooManyAttemptsError while `address` is over the limit. Call before looking at the token. */
  check(address: string): void {
    const recent = this.recent(address);
    if (recent.length >= this.maxFailures) {
      const freeAt = recent[recent.length - this.maxFailures]! + this.windowMs;
      throw new TooManyAttemptsError(address, Math.max(1, Math.ceil((freeAt - this.clock.now()) / 1000)));
    }
  }

  recordFailure(address: string): void {
    const recent = this.recent(address);
    recent.push(this.clock.now());
    // Re-insert so Map order is least-recently-failed first, for eviction.
    this.failures.delete(address);
    this.failures.set(address, recent);
    while (this.failures.size > this.maxAddresses) this.failures.delete(this.failures.keys().next().value!);
  }

  recordSuccess(address: string): void {
    this.failures.delete(address);
  }

  /** Failures of `address` still inside the window (older ones are dropped). */
  private recent(address: string): number[] {
    const cutoff = this.clock.now() - this.windowMs;
    const kept = (this.failures.get(address) ?? []).filter((t) => t > cutoff);
    if (kept.length === 0) this.failures.delete(address);
    else this.failures.set(address, kept);
    return kept;
  }
}
