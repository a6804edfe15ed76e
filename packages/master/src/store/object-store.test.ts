import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  ApiObject,
  ConflictError,
  NotFoundError,
  NotLeaderError,
  UnavailableError,
  resolveKind,
  wrapPod,
  Pod,
  metaOf,
} from '@orchard/api';
import { createEtcdClient } from '../etcd/client';
import { startEtcdFixture, type EtcdFixture } from '../testing/etcd-fixture';
import { GuardFailedError, ObjectStore, type StoreEvent } from './object-store';

const POD = resolveKind('pod');

function pod(name: string, image = 'busybox', resourceVersion = ''): ApiObject {
  return wrapPod(
    Pod.fromPartial({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', resourceVersion, uid: `uid-${name}` },
      spec: { containers: [{ name: 'c', image }] },
    }),
  );
}

function imageOf(obj: ApiObject): string {
  return obj.resource?.$case === 'pod' ? obj.resource.pod.spec!.containers[0]!.image : '';
}

describe('ObjectStore on a real etcd', () => {
  let fx: EtcdFixture;
  let store: ObjectStore;

  beforeAll(async () => {
    fx = await startEtcdFixture(22100);
    store = new ObjectStore(fx.client());
  }, 30_000);
  afterAll(async () => {
    await fx?.stop();
  });

  it('creates once and refuses a second create', async () => {
    const created = await store.create(pod('a'));
    expect(metaOf(created).resourceVersion).toMatch(/^[1-9][0-9]*$/);
    await expect(store.create(pod('a'))).rejects.toBeInstanceOf(AlreadyExistsError);
  });

  it('refuses an update with a stale resourceVersion and overwrites nothing', async () => {
    const v1 = await store.create(pod('b', 'one'));
    const rv1 = metaOf(v1).resourceVersion;
    const v2 = await store.update(pod('b', 'two', rv1));
    await expect(store.update(pod('b', 'three', rv1))).rejects.toBeInstanceOf(ConflictError);
    const stored = await store.get(POD, 'default', 'b');
    expect(imageOf(stored)).toBe('two');
    expect(metaOf(stored).resourceVersion).toBe(metaOf(v2).resourceVersion);
  });

  it.each([
    { name: 'an update without a resourceVersion', rv: '', error: ConflictError },
    { name: 'an update of a missing object', rv: '5', missing: true, error: NotFoundError },
  ])('refuses $name', async ({ rv, missing, error }) => {
    const name = missing ? 'never-created' : 'c';
    if (!missing) await store.create(pod(name));
    await expect(store.update(pod(name, 'x', rv))).rejects.toBeInstanceOf(error);
  });

  it('reads many objects in order, missing ones as undefined, beyond one transaction', async () => {
    const names = Array.from({ length: 230 }, (_, i) => `many-${i}`);
    // Every third one exists; 230 reads take three transactions of etcd's 128-op limit.
    for (let i = 0; i < names.length; i += 100) {
      await store.commit(names.slice(i, i + 100).filter((_, j) => (i + j) % 3 === 0).map((n) => ({ type: 'create' as const, object: pod(n, `img-${n}`) })));
    }
    const got = await store.tryGetMany(names.map((name) => ({ kind: POD, namespace: 'default', name })));
    expect(got).toHaveLength(names.length);
    got.forEach((o, i) => {
      if (i % 3 !== 0) return expect(o, names[i]).toBeUndefined();
      expect(imageOf(o!)).toBe(`img-${names[i]}`);
      expect(metaOf(o!).resourceVersion).toMatch(/^[1-9][0-9]*$/);
    });
    const [one] = await store.tryGetMany([{ kind: POD, namespace: 'default', name: 'many-3' }]);
    expect(imageOf(one!)).toBe('img-many-3');
  });

  it('applies several objects all or nothing', async () => {
    const d = await store.create(pod('d', 'one'));
    await store.update(pod('d', 'two', metaOf(d).resourceVersion));
    // One create plus one stale update: the create must not happen either.
    await expect(
      store.commit([
        { type: 'create', object: pod('e') },
        { type: 'update', object: pod('d', 'three', metaOf(d).resourceVersion) },
      ]),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(await store.tryGet(POD, 'default', 'e')).toBeUndefined();
    expect(imageOf(await store.get(POD, 'default', 'd'))).toBe('two');

    const both = await store.commit([
      { type: 'create', object: pod('e') },
      { type: 'create', object: pod('f') },
    ]);
    expect(metaOf(both[0]!).resourceVersion).toBe(metaOf(both[1]!).resourceVersion);
  });

  it('deletes only with a matching uid precondition', async () => {
    await store.create(pod('g'));
    await expect(store.delete(POD, 'default', 'g', { uid: 'someone-else' })).rejects.toBeInstanceOf(ConflictError);
    const gone = await store.delete(POD, 'default', 'g', { uid: 'uid-g' });
    expect(metaOf(gone).name).toBe('g');
    await expect(store.get(POD, 'default', 'g')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('watches from a revision: later changes only, deletes with their last state', async () => {
    const start = await store.revision();
    await store.create(pod('h', 'one'));
    const h = await store.get(POD, 'default', 'h');
    await store.update(pod('h', 'two', metaOf(h).resourceVersion));
    await store.delete(POD, 'default', 'h');
    const events: StoreEvent[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const w = store.watch(POD, String(Number(start) + 1), {
        onEvents: (evs) => {
          events.push(...evs.filter((e) => metaOf(e.object).name === 'h'));
          if (events.length >= 3) void w.cancel().then(resolve);
        },
        onError: reject,
      });
    });
    await done;
    expect(events.map((e) => [e.type, imageOf(e.object)])).toEqual([
      ['ADDED', 'one'],
      ['MODIFIED', 'two'],
      ['DELETED', 'two'],
    ]);
  });

  it('refuses a write fenced by a leader key that changed hands', async () => {
    const etcd = fx.client();
    await etcd.put('/test/leader').value('m1');
    const held = (await etcd.get('/test/leader').exec()).kvs[0]!.create_revision;
    await store.create(pod('i'), { key: '/test/leader', createRevision: held });
    // The old leader's key expired and a new leader created it again.
    await etcd.delete().key('/test/leader');
    await etcd.put('/test/leader').value('m2');
    await expect(store.create(pod('j'), { key: '/test/leader', createRevision: held })).rejects.toBeInstanceOf(NotLeaderError);
    expect(await store.tryGet(POD, 'default', 'j')).toBeUndefined();
  });

  it('writes only while its key guards hold', async () => {
    const etcd = fx.client();
    await etcd.put('/test/lease/n1').value('alive');
    await expect(store.commit([{ type: 'create', object: pod('k') }], undefined, [{ key: '/test/lease/n1', exists: false }])).rejects.toBeInstanceOf(GuardFailedError);
    expect(await store.tryGet(POD, 'default', 'k')).toBeUndefined();
    await store.commit([{ type: 'create', object: pod('k') }], undefined, [{ key: '/test/lease/n1', exists: true }, { key: '/test/lease/n2', exists: false }]);
    expect(await store.tryGet(POD, 'default', 'k')).toBeDefined();
  });

  it('answers unavailable quickly when etcd cannot be reached', async () => {
    const dead = new ObjectStore(createEtcdClient(['http://127.0.0.1:22999'], 500));
    const t0 = Date.now();
    await expect(dead.get(POD, 'default', 'x')).rejects.toBeInstanceOf(UnavailableError);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
