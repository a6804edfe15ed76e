import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiObject, Pod, createLogger, metaOf, resolveKind, wrapPod } from '@orchard/api';
import { startEtcdFixture, type EtcdFixture } from '../testing/etcd-fixture';
import { Informer } from './cache';
import { ObjectStore, type ListResult, type WatchHandlers } from './object-store';

const POD = resolveKind('pod');
const log = createLogger('cache-test', 'silent');

function pod(name: string, image = 'busybox', resourceVersion = ''): ApiObject {
  return wrapPod(
    Pod.fromPartial({ metadata: { name, namespace: 'default', resourceVersion }, spec: { containers: [{ name: 'c', image }] } }),
  );
}

function until(cond: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => (cond() ? resolve() : Date.now() - t0 > ms ? reject(new Error('timed out')) : setTimeout(tick, 10));
    tick();
  });
}

describe('Informer on a real etcd', () => {
  let fx: EtcdFixture;
  let store: ObjectStore;

  beforeAll(async () => {
    fx = await startEtcdFixture(22110);
    store = new ObjectStore(fx.client());
  }, 30_000);
  afterAll(async () => {
    await fx?.stop();
  });

  it('lists, then follows adds, updates and deletes', async () => {
    await store.create(pod('before'));
    const inf = new Informer(store, POD, log);
    const seen: string[] = [];
    inf.addHandler({
      onAdd: (o) => seen.push(`add ${metaOf(o).name}`),
      onUpdate: (_, o) => seen.push(`update ${metaOf(o).name}`),
      onDelete: (o) => seen.push(`delete ${metaOf(o).name}`),
    });
    await inf.start();
    expect(inf.hasSynced()).toBe(true);
    expect(inf.get('default', 'before')).toBeDefined();

    const created = await store.create(pod('after'));
    await store.update(pod('after', 'two', metaOf(created).resourceVersion));
    await store.delete(POD, 'default', 'before');
    await until(() => seen.length >= 4);
    expect(seen).toEqual(['add before', 'add after', 'update after', 'delete before']);
    expect(inf.list().map((o) => metaOf(o).name)).toEqual(['after']);

    // Copies are handed out: changing one leaves the cache alone.
    const copy = inf.get('default', 'after')!;
    metaOf(copy).labels['x'] = 'y';
    expect(metaOf(inf.get('default', 'after')!).labels['x']).toBeUndefined();
    await inf.stop();
  });
});

describe('Informer relist after the watch ends', () => {
  it('reports what changed while it was not watching', async () => {
    // A store whose watch can be failed on demand, as a compaction would.
    let state: ApiObject[] = [pod('kept', 'v1', '2'), pod('removed', 'v1', '3')];
    let revision = '3';
    let failWatch: ((err: Error) => void) | undefined;
    const fake = {
      list: async (): Promise<ListResult> => ({ items: state, revision }),
      watch: (_k: unknown, _from: string, h: WatchHandlers) => {
        failWatch = h.onError;
        return { cancel: async () => undefined };
      },
    } as unknown as ObjectStore;
    const inf = new Informer(fake, POD, log, { relistDelayMs: 1 });
    const seen: string[] = [];
    inf.addHandler({
      onAdd: (o) => seen.push(`add ${metaOf(o).name}`),
      onUpdate: (_, o) => seen.push(`update ${metaOf(o).name}`),
      onDelete: (o) => seen.push(`delete ${metaOf(o).name}`),
    });
    await inf.start();
    seen.length = 0;
    state = [pod('kept', 'v2', '7'), pod('new', 'v1', '8')];
    revision = '9';
    failWatch!(new Error('required revision has been compacted'));
    await until(() => inf.revision === '9');
    expect(seen.sort()).toEqual(['add new', 'delete removed', 'update kept']);
    await inf.stop();
  });
});
