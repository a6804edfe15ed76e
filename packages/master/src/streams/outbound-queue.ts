/**
 * Output waiting for a slow client. gRPC's write() returning false means the client
 * reads slower than the agent produces; items wait here until 'drain'. The node stream
 * carries every session of the node and its heartbeats, so it is never paused for one
 * client: past `limitBytes` waiting, the session is given up (onOverflow) instead.
 */
export class OutboundQueue<T> {
  private readonly waiting: T[] = [];
  private bytes = 0;
  private blocked = false;
  private overflowed = false;
  private onEmpty: (() => void) | undefined;

  constructor(
    private readonly write: (item: T) => boolean,
    private readonly sizeOf: (item: T) => number,
    private readonly limitBytes: number,
    private readonly onOverflow: () => void,
  ) {}

  /** Writes now, or queues behind earlier output while the client is slow. */
  push(item: T): void {
    if (this.overflowed) return;
    if (!this.blocked) {
      if (!this.write(item)) this.blocked = true;
      return;
    }
    this.waiting.push(item);
    this.bytes += this.sizeOf(item);
    if (this.bytes > this.limitBytes) {
      this.overflowed = true;
      this.waiting.length = 0;
      this.onOverflow();
    }
  }

  /** The client caught up: write what waits, until it is slow again. */
  drain(): void {
    this.blocked = false;
    while (this.waiting.length > 0 && !this.blocked) {
      const item = this.waiting.shift()!;
      this.bytes -= this.sizeOf(item);
      if (!this.write(item)) this.blocked = true;
    }
    if (this.waiting.length === 0 && this.onEmpty) {
      const fn = this.onEmpty;
      this.onEmpty = undefined;
      fn();
    }
  }

  /** Runs fn once everything queued has been written (at once when nothing waits). */
  whenFlushed(fn: () => void): void {
    if (this.waiting.length === 0) fn();
    else this.onEmpty = fn;
  }

  /** Bytes waiting for the client. */
  get pendingBytes(): number {
    return this.bytes;
  }
}
