/**
 * A work queue of keys (pod uids) with Kubernetes work-queue semantics: a key is
 * processed by one worker at a time; adding a key that is being processed marks it
 * dirty so it runs once more afterwards; adding a queued key again is a no-op.
 * Workers re-read the current state by key, so coalescing loses nothing.
 */
export class KeyedQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  private readonly dirty = new Set<string>();
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly worker: (key: string) => Promise<void>,
    private readonly concurrency = 8,
  ) {}

  add(key: string): void {
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.pump();
  }

  /** Resolves once nothing is queued or running. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.active.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.active.size < this.concurrency && this.queue.length > 0) {
      const key = this.queue.shift()!;
      this.queued.delete(key);
      this.active.add(key);
      // The worker handles its own errors; a rejection here would be a bug, so it is
      // swallowed rather than allowed to stop the queue.
      void this.worker(key)
        .catch(() => undefined)
        .finally(() => {
          this.active.delete(key);
          if (this.dirty.delete(key)) this.add(key);
          this.pump();
          if (this.queue.length === 0 && this.active.size === 0) {
            const waiters = this.idleWaiters;
            this.idleWaiters = [];
            for (const w of waiters) w();
          }
        });
    }
  }
}
