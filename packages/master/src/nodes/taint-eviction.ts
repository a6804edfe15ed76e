import { metaOf, type ApiObject, type Clock, type Logger, type Taint } from '@orchard/api';
import { findCondition } from './conditions';
import { evictionDue, type TaintSince } from './eviction-deadline';
import { staysOnNode } from './pinned-pods';
import { isLifecycleTaint } from './lifecycle-taints';
import type { PodEvictor } from './pod-eviction';
import type { TokenBucket } from './token-bucket';

/** Retry pause after a failed eviction (etcd unavailable, a conflicting write). */
const RETRY_MS = 1000;

export interface TaintEvictionDeps {
  /** Every node (the node cache). */
  readonly nodes: { values(): Iterable<ApiObject> };
  /** The pods bound to a node (the pods-by-node index). */
  readonly pods: { podsOn(nodeName: string): ApiObject[] };
  readonly evictor: PodEvictor;
  readonly limiter: TokenBucket;
  readonly clock: Clock;
  readonly log: Logger;
  /** How long a pod stays on an unreachable or not-ready node without a toleration of its own. */
  readonly defaultTimeoutMs: number;
  /**
   * Fraction of nodes not Ready above which nothing is evicted: so many nodes silent at
   * once means the master (or the network) is the one cut off, and moving pods would
   * only pile them onto the few nodes left.
   */
  readonly unhealthyThreshold: number;
}

/**
 * The taint manager (leader only): evicts the pods of nodes with NoExecute taints they do
 * not tolerate, when their time is up (see evictionDue), at the pace of the token bucket,
 * and not at all while too many nodes are not Ready. Level-triggered: every sync looks at
 * all tainted nodes again and sets one timer for the next deadline.
 */
export class TaintEviction {
  /** When this master first saw each NoExecute taint ("node\0key=value:effect"). */
  private readonly firstSeen = new Map<string, number>();
  /** Uids of pods being evicted right now. */
  private readonly inflight = new Set<string>();
  private readonly tainted = new Set<string>();
  private timer: { cancel(): void } | undefined;
  private timerAt = Infinity;
  private pokeTimer: { cancel(): void } | undefined;
  private running = false;
  private halted = false;

  constructor(private readonly deps: TaintEvictionDeps) {}

  start(): void {
    this.running = true;
    this.sync();
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.pokeTimer?.cancel();
    this.timer = this.pokeTimer = undefined;
    this.timerAt = Infinity;
    this.firstSeen.clear();
    this.tainted.clear();
  }

  /** Something changed (a node, a pod): sync soon, once for a burst of changes. */
  poke(): void {
    if (!this.running || this.pokeTimer) return;
    this.pokeTimer = this.deps.clock.setTimeout(() => {
      this.pokeTimer = undefined;
      this.sync();
    }, 0);
  }

  /** True when a pod change on this node can matter (the node has a NoExecute taint). */
  watches(nodeName: string): boolean {
    return this.tainted.has(nodeName);
  }

  /** Evicts every pod that is due, within the rate limit, and arms the timer for the next. */
  sync(): void {
    if (!this.running) return;
    const { clock, log, limiter } = this.deps;
    const now = clock.now();
    const nodes = [...this.deps.nodes.values()].map((o) => (o.resource?.$case === 'node' ? o.resource.node : undefined));
    let total = 0;
    let notReady = 0;
    for (const n of nodes) {
      const ready = findCondition(n?.status?.conditions, 'Ready');
      if (!ready) continue;
      total++;
      if (ready.status !== 'True') notReady++;
    }
    const halted = total > 0 && (notReady === total || notReady / total > this.deps.unhealthyThreshold);
    if (halted !== this.halted) {
      this.halted = halted;
      if (halted) log.warn({ notReady, total }, 'too many nodes are not ready: evictions paused (this master may be the one cut off)');
      else log.info({ notReady, total }, 'evictions resumed');
    }

    let next = Infinity;
    const seen = new Set<string>();
    this.tainted.clear();
    for (const n of nodes) {
      const name = n?.metadata?.name ?? '';
      // A node Ready again still carries its lifecycle taint until the taint controller's
      // write lands: that stale taint must not evict what just came back.
      const readyAgain = findCondition(n?.status?.conditions, 'Ready')?.status === 'True';
      const noExecute = (n?.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute' && !(readyAgain && isLifecycleTaint(t)));
      if (!n || noExecute.length === 0) continue;
      this.tainted.add(name);
      const taints = noExecute.map((t) => this.since(name, t, now, seen));
      for (const o of this.deps.pods.podsOn(name)) {
        const pod = o.resource?.$case === 'pod' ? o.resource.pod : undefined;
        const uid = metaOf(o).uid;
        if (!pod || this.inflight.has(uid) || staysOnNode(o)) continue;
        const due = evictionDue(pod, taints, this.deps.defaultTimeoutMs);
        if (!due) continue;
        if (due.atMs > now) {
          next = Math.min(next, due.atMs);
          continue;
        }
        // Paused: the node becoming Ready again (or the others returning) syncs again.
        if (halted) continue;
        if (!limiter.tryTake()) {
          next = Math.min(next, now + limiter.msUntilNext());
          continue;
        }
        this.evict(o, name, due.taint);
      }
    }
    for (const k of this.firstSeen.keys()) if (!seen.has(k)) this.firstSeen.delete(k);
    this.arm(next);
  }

  private evict(pod: ApiObject, nodeName: string, taint: Taint): void {
    const uid = metaOf(pod).uid;
    this.inflight.add(uid);
    this.deps.evictor
      .evict(pod, nodeName, taint)
      .catch((err: unknown) => {
        // Transient (etcd unavailable, a write in between) or this master no longer leads
        // (then stop() ends the retries): look again in a second.
        this.deps.log.warn({ pod: metaOf(pod).name, node: nodeName, err: (err as Error).message }, 'eviction failed; retrying');
        this.arm(this.deps.clock.now() + RETRY_MS);
      })
      .finally(() => this.inflight.delete(uid));
  }

  /**
   * Since when a taint counts: when this master first saw it, or its timeAdded when that is
   * clearly earlier (a taint from before a leader change). timeAdded has second precision,
   * so a second is added to it: eviction may come up to a second late, never early.
   */
  private since(node: string, t: Taint, now: number, seen: Set<string>): TaintSince {
    const key = `${node}\0${t.key}=${t.value}:${t.effect}`;
    seen.add(key);
    let first = this.firstSeen.get(key);
    if (first === undefined) this.firstSeen.set(key, (first = now));
    const added = Date.parse(t.timeAdded);
    return { taint: t, sinceMs: Number.isNaN(added) ? first : Math.min(first, added + 1000) };
  }

  private arm(at: number): void {
    if (!this.running || at === Infinity) return;
    if (this.timer && this.timerAt <= at) return;
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.sync();
    }, Math.max(0, at - this.deps.clock.now()));
  }
}
