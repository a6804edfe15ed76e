import { cloneObject, metaOf, objectKey, type ApiObject, type KindInfo, type Logger } from '@orchard/api';
import type { ObjectStore, StoreEvent, StoreWatch } from './object-store';

/**
 * Reacts to changes of an informer's kind. Objects handed to handlers are the cache's
 * own: read them, never mutate them (cloneObject first).
 */
export interface InformerHandler {
  onAdd?(obj: ApiObject): void;
  onUpdate?(oldObj: ApiObject, newObj: ApiObject): void;
  onDelete?(obj: ApiObject): void;
}

export interface InformerOptions {
  /** Pause before relisting after the watch failed (etcd down, revision compacted). */
  readonly relistDelayMs?: number;
}

/**
 * A local copy of one kind, kept current by list-then-watch: a Map by object key
 * ("pods/default/web"). When the watch ends (compaction, etcd restart) it relists and
 * reports the difference as add/update/delete events, so handlers never miss a change.
 */
export class Informer {
  private readonly items = new Map<string, ApiObject>();
  private readonly handlers: InformerHandler[] = [];
  private readonly revisionWaiters: Array<{ revision: bigint; resolve: () => void }> = [];
  private watch: StoreWatch | undefined;
  private synced = false;
  private stopped = false;
  private rev = 0n;
  private relistTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: ObjectStore,
    readonly kind: KindInfo,
    private readonly log: Logger,
    private readonly opts: InformerOptions = {},
  ) {}

  /** Lists, starts watching and resolves once the cache holds the listed state. */
  async start(): Promise<void> {
    await this.relist();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.relistTimer) clearTimeout(this.relistTimer);
    await this.watch?.cancel();
  }

  /** True once the first list has been loaded. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** The etcd revision the cache reflects. */
  get revision(): string {
    return this.rev.toString();
  }

  addHandler(h: InformerHandler): void {
    this.handlers.push(h);
  }

  removeHandler(h: InformerHandler): void {
    const i = this.handlers.indexOf(h);
    if (i >= 0) this.handlers.splice(i, 1);
  }

  /** A copy of the cached object, safe to mutate. */
  get(namespace: string, name: string): ApiObject | undefined {
    const o = this.items.get(objectKey(this.kind, namespace, name));
    return o && cloneObject(o);
  }

  /** The cached object by key, read-only (no copy; for hot paths such as the scheduler). */
  peek(key: string): ApiObject | undefined {
    return this.items.get(key);
  }

  /** Copies of every cached object (of one namespace when given). */
  list(namespace?: string): ApiObject[] {
    const out: ApiObject[] = [];
    for (const o of this.items.values()) {
      if (namespace && this.kind.namespaced && metaOf(o).namespace !== namespace) continue;
      out.push(cloneObject(o));
    }
    return out;
  }

  /** Every cached object, read-only (no copies). */
  values(): IterableIterator<ApiObject> {
    return this.items.values();
  }

  /** Resolves once the cache has seen `revision` (read-your-writes for callers that just wrote). */
  waitForRevision(revision: string): Promise<void> {
    const r = BigInt(revision || '0');
    if (this.rev >= r) return Promise.resolve();
    return new Promise((resolve) => this.revisionWaiters.push({ revision: r, resolve }));
  }

  private async relist(): Promise<void> {
    const { items, revision } = await this.store.list(this.kind);
    if (this.stopped) return;
    const seen = new Set<string>();
    for (const obj of items) {
      const key = this.keyOf(obj);
      seen.add(key);
      this.apply(key, obj);
    }
    for (const [key, old] of this.items) {
      if (!seen.has(key)) {
        this.items.delete(key);
        this.emit((h) => h.onDelete?.(old));
      }
    }
    this.synced = true;
    this.advance(BigInt(revision));
    this.watch = this.store.watch(this.kind, (BigInt(revision) + 1n).toString(), {
      onEvents: (events, rev) => this.onEvents(events, rev),
      onError: (err) => this.onWatchError(err),
    });
  }

  private onEvents(events: readonly StoreEvent[], revision: string): void {
    for (const ev of events) {
      const key = this.keyOf(ev.object);
      if (ev.type === 'DELETED') {
        const old = this.items.get(key);
        if (old) {
          this.items.delete(key);
          this.emit((h) => h.onDelete?.(ev.object));
        }
      } else {
        this.apply(key, ev.object);
      }
    }
    this.advance(BigInt(revision));
  }

  private apply(key: string, obj: ApiObject): void {
    const old = this.items.get(key);
    if (old && metaOf(old).resourceVersion === metaOf(obj).resourceVersion) return;
    this.items.set(key, obj);
    if (old) this.emit((h) => h.onUpdate?.(old, obj));
    else this.emit((h) => h.onAdd?.(obj));
  }

  private onWatchError(err: Error): void {
    if (this.stopped) return;
    // Retrying is the only fate: the cache must converge again once etcd answers.
    this.log.warn({ kind: this.kind.plural, err: err.message }, 'watch ended; relisting');
    const retry = () => {
      this.relistTimer = undefined;
      this.relist().catch((e: unknown) => {
        this.log.warn({ kind: this.kind.plural, err: (e as Error).message }, 'relist failed; retrying');
        if (!this.stopped) this.relistTimer = setTimeout(retry, this.opts.relistDelayMs ?? 1000);
      });
    };
    this.relistTimer = setTimeout(retry, this.opts.relistDelayMs ?? 200);
  }

  private advance(rev: bigint): void {
    if (rev > this.rev) this.rev = rev;
    for (let i = this.revisionWaiters.length - 1; i >= 0; i--) {
      const w = this.revisionWaiters[i]!;
      if (this.rev >= w.revision) {
        this.revisionWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  private emit(fn: (h: InformerHandler) => void): void {
    for (const h of this.handlers) {
      try {
        fn(h);
      } catch (err) {
        // A failing handler must not stop the cache or the other handlers.
        this.log.error({ kind: this.kind.plural, err }, 'informer handler failed');
      }
    }
  }

  private keyOf(obj: ApiObject): string {
    const m = metaOf(obj);
    return objectKey(this.kind, m.namespace, m.name);
  }
}
