import { metaOf, objectKey, kindByCase, type ApiObject, type Pod } from '@orchard/api';
import type { Informer } from './cache';

type Listener = () => void;

/**
 * An index of the pod cache by spec.nodeName, with per-node change notification: the
 * node streams send a node its pods whenever this set changes, and the scheduler sums
 * what each node already runs. Status-only changes do not notify: the agent wrote them.
 */
export class PodsByNode {
  private readonly byNode = new Map<string, Map<string, ApiObject>>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly podKind = kindByCase('pod');

  constructor(informer: Informer) {
    for (const o of informer.values()) this.add(o);
    informer.addHandler({
      onAdd: (o) => {
        const n = nodeOf(o);
        if (!n) return;
        this.add(o);
        this.notify(n);
      },
      onUpdate: (old, o) => {
        const [n0, n1] = [nodeOf(old), nodeOf(o)];
        if (n0) this.remove(old);
        if (n1) this.add(o);
        if (n0 !== n1) {
          if (n0) this.notify(n0);
          if (n1) this.notify(n1);
        } else if (n1 && desiredChanged(old, o)) {
          this.notify(n1);
        }
      },
      onDelete: (o) => {
        const n = nodeOf(o);
        if (!n) return;
        this.remove(o);
        this.notify(n);
      },
    });
  }

  /** The cached pods bound to a node (read-only: the cache's own objects). */
  podsOn(nodeName: string): ApiObject[] {
    return [...(this.byNode.get(nodeName)?.values() ?? [])];
  }

  /** Every node name that has pods, with its pods (read-only). */
  entries(): IterableIterator<[string, Map<string, ApiObject>]> {
    return this.byNode.entries();
  }

  /** Calls `fn` whenever the pods bound to `nodeName` change; returns the unsubscribe function. */
  subscribe(nodeName: string, fn: Listener): () => void {
    let set = this.listeners.get(nodeName);
    if (!set) this.listeners.set(nodeName, (set = new Set()));
    set.add(fn);
    return () => {
      set!.delete(fn);
      if (set!.size === 0 && this.listeners.get(nodeName) === set) this.listeners.delete(nodeName);
    };
  }

  private key(o: ApiObject): string {
    const m = metaOf(o);
    return objectKey(this.podKind, m.namespace, m.name);
  }

  private add(o: ApiObject): void {
    const n = nodeOf(o);
    if (!n) return;
    let pods = this.byNode.get(n);
    if (!pods) this.byNode.set(n, (pods = new Map()));
    pods.set(this.key(o), o);
  }

  private remove(o: ApiObject): void {
    const n = nodeOf(o);
    const pods = n ? this.byNode.get(n) : undefined;
    if (!pods) return;
    pods.delete(this.key(o));
    if (pods.size === 0) this.byNode.delete(n!);
  }

  private notify(nodeName: string): void {
    for (const fn of this.listeners.get(nodeName) ?? []) fn();
  }
}

function podOf(o: ApiObject): Pod | undefined {
  return o.resource?.$case === 'pod' ? o.resource.pod : undefined;
}

function nodeOf(o: ApiObject): string {
  return podOf(o)?.spec?.nodeName ?? '';
}

/** Whether the agent must hear about a change: anything but status. */
function desiredChanged(a: ApiObject, b: ApiObject): boolean {
  const [ma, mb] = [metaOf(a), metaOf(b)];
  if (ma.uid !== mb.uid || ma.generation !== mb.generation) return true;
  if (ma.deletionTimestamp !== mb.deletionTimestamp || ma.deletionGracePeriodSeconds !== mb.deletionGracePeriodSeconds) return true;
  return JSON.stringify(ma.labels) !== JSON.stringify(mb.labels) || JSON.stringify(ma.annotations) !== JSON.stringify(mb.annotations);
}
