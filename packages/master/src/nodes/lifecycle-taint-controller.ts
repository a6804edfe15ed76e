import { NotFoundError, NotLeaderError, kindByCase, type ApiObject, type Clock, type Logger } from '@orchard/api';
import type { Fence } from '../store/fence';
import type { ObjectStore } from '../store/object-store';
import { lifecycleTaintsFor } from './lifecycle-taints';

const RETRY_MS = 1000;

export interface LifecycleTaintDeps {
  readonly store: Pick<ObjectStore, 'mutate'>;
  readonly clock: Clock;
  readonly log: Logger;
  fence(): Fence;
}

/**
 * Keeps the NoExecute lifecycle taints of nodes in line with their Ready condition
 * (leader only; see lifecycleTaintsFor): unreachable while Unknown, not-ready while False,
 * none while True. Each change is one fenced write that recomputes on the stored node.
 */
export class LifecycleTaintController {
  private running = false;
  private readonly retries = new Map<string, { cancel(): void }>();

  constructor(private readonly deps: LifecycleTaintDeps) {}

  /** Starts; nodes already out of line are fixed at once. */
  start(nodes: Iterable<ApiObject>): void {
    this.running = true;
    for (const o of nodes) this.onNode(o);
  }

  stop(): void {
    this.running = false;
    for (const t of this.retries.values()) t.cancel();
    this.retries.clear();
  }

  /** A node was added or changed. */
  onNode(o: ApiObject): void {
    if (!this.running || o.resource?.$case !== 'node') return;
    const node = o.resource.node;
    if (!lifecycleTaintsFor(node, this.deps.clock.now())) return;
    void this.fix(node.metadata?.name ?? '');
  }

  private async fix(name: string): Promise<void> {
    const { store, clock, log } = this.deps;
    let fence: Fence;
    try {
      fence = this.deps.fence();
    } catch {
      return;
    }
    try {
      const updated = await store.mutate(
        kindByCase('node'),
        '',
        name,
        (copy) => {
          const n = copy.resource?.$case === 'node' ? copy.resource.node : undefined;
          const next = n && lifecycleTaintsFor(n, clock.now());
          if (!n || !next) return undefined;
          n.spec = { podCidr: '', podCidrs: [], unschedulable: false, ...n.spec, taints: next };
          return copy;
        },
        fence,
      );
      if (updated?.resource?.$case === 'node') {
        const keys = updated.resource.node.spec?.taints.map((t) => `${t.key}:${t.effect}`) ?? [];
        log.info({ node: name, taints: keys }, 'node lifecycle taints updated');
      }
    } catch (err) {
      // Gone, or no longer leading (the new leader does it): nothing to do.
      if (err instanceof NotFoundError || err instanceof NotLeaderError) return;
      // Transient: try again on fresh state.
      log.warn({ node: name, err: (err as Error).message }, 'could not update node taints; retrying');
      if (!this.running || this.retries.has(name)) return;
      this.retries.set(
        name,
        clock.setTimeout(() => {
          this.retries.delete(name);
          if (this.running) void this.fix(name);
        }, RETRY_MS),
      );
    }
  }
}
