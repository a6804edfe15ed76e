import { describe, expect, it } from 'vitest';
import { Pod, wrapPod, type ApiObject } from '@orchard/api';
import type { Informer, InformerHandler } from './cache';
import { PodsByNode } from './pods-by-node';

function pod(name: string, nodeName: string, extra: { phase?: string; generation?: number; deletionTimestamp?: string } = {}): ApiObject {
  return wrapPod(
    Pod.fromPartial({
      metadata: { name, namespace: 'default', uid: `uid-${name}`, generation: extra.generation ?? 1, deletionTimestamp: extra.deletionTimestamp ?? '' },
      spec: { nodeName, containers: [{ name: 'c', image: 'x' }] },
      status: { phase: extra.phase ?? 'Pending' },
    }),
  );
}

/** An informer that only replays what the test tells it. */
function fakeInformer(initial: ApiObject[]): { informer: Informer; handler: () => InformerHandler } {
  let h: InformerHandler | undefined;
  const informer = { values: () => initial.values(), addHandler: (x: InformerHandler) => (h = x) } as unknown as Informer;
  return { informer, handler: () => h! };
}

describe('PodsByNode', () => {
  it.each([
    { name: 'a pod bound to the node', change: (h: InformerHandler) => h.onUpdate!(pod('p', ''), pod('p', 'n1')), notified: ['n1'] },
    { name: 'a pod marked for deletion', change: (h: InformerHandler) => h.onUpdate!(pod('a', 'n1'), pod('a', 'n1', { deletionTimestamp: 'now' })), notified: ['n1'] },
    { name: 'a new spec', change: (h: InformerHandler) => h.onUpdate!(pod('a', 'n1'), pod('a', 'n1', { generation: 2 })), notified: ['n1'] },
    { name: 'a status report (the agent wrote it)', change: (h: InformerHandler) => h.onUpdate!(pod('a', 'n1'), pod('a', 'n1', { phase: 'Running' })), notified: [] },
    { name: 'a pod deleted', change: (h: InformerHandler) => h.onDelete!(pod('a', 'n1')), notified: ['n1'] },
    { name: 'a pending pod created', change: (h: InformerHandler) => h.onAdd!(pod('q', '')), notified: [] },
  ])('notifies the node on $name', ({ change, notified }) => {
    const { informer, handler } = fakeInformer([pod('a', 'n1')]);
    const idx = new PodsByNode(informer);
    const seen: string[] = [];
    idx.subscribe('n1', () => seen.push('n1'));
    idx.subscribe('n2', () => seen.push('n2'));
    change(handler());
    expect(seen).toEqual(notified);
  });

  it('indexes pods by node and stops notifying after unsubscribe', () => {
    const { informer, handler } = fakeInformer([pod('a', 'n1'), pod('b', 'n2')]);
    const idx = new PodsByNode(informer);
    let calls = 0;
    const off = idx.subscribe('n1', () => calls++);
    handler().onAdd!(pod('c', 'n1'));
    off();
    handler().onAdd!(pod('d', 'n1'));
    expect(calls).toBe(1);
    expect(idx.podsOn('n1').map((o) => (o.resource?.$case === 'pod' ? o.resource.pod.metadata!.name : ''))).toEqual(['a', 'c', 'd']);
    expect(idx.podsOn('n2')).toHaveLength(1);
  });
});
