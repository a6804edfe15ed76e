/**
 * A token bucket on an injected clock: `ratePerSecond` tokens refill per second, up to
 * `burst`. Eviction takes one token per pod, so a network blip that silences many nodes
 * moves pods at a bounded pace instead of all at once.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly clock: { now(): number },
    readonly ratePerSecond: number,
    readonly burst: number = Math.max(1, ratePerSecond),
  ) {
    if (!(ratePerSecond > 0)) throw new Error(`token bucket rate must be positive, got ${ratePerSecond}`);
    this.tokens = this.burst;
    this.last = clock.now();
  }

  /** Takes a token if one is available. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until the next token is available (0 when one is). */
  msUntilNext(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond);
  }

  private refill(): void {
    const now = this.clock.now();
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSecond) / 1000);
      this.last = now;
    }
  }
}
