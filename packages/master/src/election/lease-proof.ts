/**
 * How long the leader can prove its election lease still holds. etcd renews a lease when
 * a keep-alive arrives, so an answered keep-alive proves the lease until (the moment it
 * was sent) + TTL, however late the answer is processed: a busy event loop that reads
 * the answer late does not shorten the proof, as timing from the answer's arrival did.
 * Keep-alives on one stream are answered in order.
 */
export class LeaseProof {
  /** Send times of the keep-alives not answered yet, oldest first. */
  private readonly outstanding: number[] = [];
  private provenFrom = 0;

  constructor(private readonly ttlMs: number) {}

  /** The campaign started: any lease it gets is granted after `now`. */
  started(now: number): void {
    this.provenFrom = Math.max(this.provenFrom, now);
  }

  /** A new keep-alive stream: requests sent on the old one are never answered. */
  newStream(): void {
    this.outstanding.length = 0;
  }

  /** A keep-alive was sent at `now`. */
  sent(now: number): void {
    // Bounded: a stalled etcd must not grow it for ever (leadership is lost long before).
    if (this.outstanding.length >= 64) this.outstanding.shift();
    this.outstanding.push(now);
  }

  /** A keep-alive was answered: the lease holds from the moment its request went out. */
  answered(now: number): void {
    const sentAt = this.outstanding.shift() ?? now;
    this.provenFrom = Math.max(this.provenFrom, sentAt);
  }

  /** Milliseconds the lease is still proven to hold at `now` (negative once it may have expired). */
  remainingMs(now: number): number {
    return this.provenFrom + this.ttlMs - now;
  }

  /** Milliseconds since the last proof (for the log). */
  sinceProofMs(now: number): number {
    return now - this.provenFrom;
  }
}
