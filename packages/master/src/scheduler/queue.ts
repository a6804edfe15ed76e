/**
 * The scheduling queue: keys of pending pods, never objects (the sync re-reads the pod).
 * `active` is a FIFO without duplicates; pods that fit nowhere wait in `unschedulable`
 * until the cluster changes (a node appears or changes, a pod goes away), so an
 * unschedulable pod costs nothing while nothing changes: no busy loop.
 */
export class SchedulingQueue {
  private readonly active = new Set<string>();
  private readonly unschedulable = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private waiter: (() => void) | undefined;
  private closed = false;

  /** Queues a pod for a scheduling attempt. */
  add(key: string): void {
    if (this.closed) return;
    this.unschedulable.delete(key);
    this.active.add(key);
    this.wake();
  }

  /** Queues a pod after a pause (back-off after a failed bind). */
  addAfter(key: string, ms: number): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.add(key);
    }, ms);
    this.timers.add(t);
  }

  /** Parks a pod that fits nowhere until `moveAllToActive`. */
  park(key: string): void {
    if (this.closed || this.active.has(key)) return;
    this.unschedulable.add(key);
  }

  /** The cluster changed: every parked pod gets another attempt. */
  moveAllToActive(): void {
    if (this.unschedulable.size === 0) return;
    for (const k of this.unschedulable) this.active.add(k);
    this.unschedulable.clear();
    this.wake();
  }

  /** Forgets a pod (deleted, or bound by someone else). */
  forget(key: string): void {
    this.active.delete(key);
    this.unschedulable.delete(key);
  }

  /** Takes up to `max` keys, oldest first. */
  popBatch(max: number): string[] {
    const out: string[] = [];
    for (const k of this.active) {
      if (out.length >= max) break;
      out.push(k);
    }
    for (const k of out) this.active.delete(k);
    return out;
  }

  /** Resolves when there is work or the queue was closed; returns false once closed. */
  async next(): Promise<boolean> {
    while (!this.closed && this.active.size === 0) {
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    return !this.closed;
  }

  get activeCount(): number {
    return this.active.size;
  }

  get parkedCount(): number {
    return this.unschedulable.size;
  }

  isParked(key: string): boolean {
    return this.unschedulable.has(key);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.active.clear();
    this.unschedulable.clear();
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}
