/**
 * Coalesces writes per key: at most one write per key runs at a time, and values that
 * arrive meanwhile replace each other, so a burst of status reports costs one or two
 * writes instead of one each (idle clusters do not wear SD cards).
 */
export class Coalescer<V> {
  private readonly pending = new Map<string, V>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly write: (key: string, value: V) => Promise<void>,
    private readonly onError: (key: string, err: unknown) => void,
  ) {}

  /** Queues `value` as the next write of `key`, replacing a queued one. */
  submit(key: string, value: V): void {
    this.pending.set(key, value);
    if (!this.running.has(key)) this.running.set(key, this.drain(key));
  }

  /** Resolves when every queued write has run. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  private async drain(key: string): Promise<void> {
    try {
      while (this.pending.has(key)) {
        const value = this.pending.get(key)!;
        this.pending.delete(key);
        try {
          await this.write(key, value);
        } catch (err) {
          this.onError(key, err);
        }
      }
    } finally {
      this.running.delete(key);
    }
  }
}
