import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { Node, NotLeaderError, Pod, createLogger, kindByCase, metaOf, systemClock, wrapNode, wrapPod, type ApiObject } from '@orchard/api';
import { startEtcdFixture, type EtcdFixture } from '../testing/etcd-fixture';
import { Informer } from '../store/cache';
import { ObjectStore } from '../store/object-store';
import { PodsByNode } from '../store/pods-by-node';
import type { Fence } from '../store/fence';
import type { ClusterSnapshot, Placement } from './framework/types';
import { Scheduler } from './scheduler';

const log = createLogger('scheduler-test', 'silent');

async function until<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 5000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function pod(name: string): ApiObject {
  return wrapPod(Pod.fromPartial({ metadata: { name, namespace: 'default', uid: `uid-${name}` }, spec: { containers: [{ name: 'c', image: 'x' }] } }));
}

function node(name: string): ApiObject {
  return wrapNode(Node.fromPartial({ metadata: { name, uid: `uid-${name}` }, status: { allocatable: { cpu: '1', memory: '1Gi', pods: '2' } } }));
}

describe('Scheduler with a fake placement on a real etcd', () => {
  let fx: EtcdFixture;
  let store: ObjectStore;
  let pods: Informer;
  let nodes: Informer;
  let scheduler: Scheduler | undefined;
  /** Every snapshot the fake placement saw, by pod name. */
  let calls: Array<{ pod: string; nodes: Record<string, string[]> }>;
  let leaderFence: Fence | undefined;

  beforeAll(async () => {
    fx = await startEtcdFixture(22150);
    store = new ObjectStore(fx.client());
  }, 30_000);
  afterAll(async () => {
    await fx?.stop();
  });

  beforeEach(async () => {
    await fx.client().delete().prefix('/orchard/');
    await fx.client().put('/test/leader').value('me');
    const kv = (await fx.client().get('/test/leader').exec()).kvs[0]!;
    leaderFence = { key: '/test/leader', createRevision: kv.create_revision };
    pods = new Informer(store, kindByCase('pod'), log);
    nodes = new Informer(store, kindByCase('node'), log);
    await pods.start();
    await nodes.start();
    calls = [];
  });
  afterEach(async () => {
    await scheduler?.stop();
    await pods.stop();
    await nodes.stop();
  });

  /** A placement that puts each pod on the node with the fewest pods that has room (2 per node). */
  function fakePlace(p: Pod, s: ClusterSnapshot): Placement {
    calls.push({ pod: p.metadata!.name, nodes: Object.fromEntries(s.nodes.map((n) => [n.node.metadata!.name, n.pods.map((x) => x.metadata!.name)])) });
    const fits = s.nodes.filter((n) => n.requested.pods < n.allocatable.pods).sort((a, b) => a.pods.length - b.pods.length);
    if (fits.length === 0) {
      return { ok: false, message: `0/${s.nodes.length} nodes are available: ${s.nodes.length} Too many pods.`, rejected: new Map() };
    }
    return { ok: true, nodeName: fits[0]!.node.metadata!.name, score: 0 };
  }

  function start(fence: () => Fence = () => leaderFence!, schedulerStore: ObjectStore = store): Scheduler {
    scheduler = new Scheduler({
      store: schedulerStore,
      pods,
      nodes,
      podsByNode: new PodsByNode(pods),
      clock: systemClock,
      log,
      fence,
      place: fakePlace,
    });
    scheduler.start();
    return scheduler;
  }

  const boundTo = (name: string) => {
    const p = pods.get('default', name);
    return p?.resource?.$case === 'pod' ? p.resource.pod.spec?.nodeName : undefined;
  };

  it('binds a burst of pods, counting earlier placements of the same batch', async () => {
    await store.create(node('n1'));
    await store.create(node('n2'));
    await until(() => nodes.list().length === 2);
    start();
    await store.commit(['a', 'b', 'c', 'd'].map((n) => ({ type: 'create' as const, object: pod(n) })));
    await until(() => ['a', 'b', 'c', 'd'].every((n) => boundTo(n)));
    const perNode = ['a', 'b', 'c', 'd'].reduce<Record<string, number>>((acc, n) => ({ ...acc, [boundTo(n)!]: (acc[boundTo(n)!] ?? 0) + 1 }), {});
    expect(perNode).toEqual({ n1: 2, n2: 2 });
    const a = pods.get('default', 'a')!;
    expect(a.resource?.$case === 'pod' && a.resource.pod.status?.conditions[0]).toMatchObject({ type: 'PodScheduled', status: 'True' });
  });

  it('parks a pod that fits nowhere, records why, and retries when a node appears', async () => {
    await store.create(node('n1'));
    await until(() => nodes.list().length === 1);
    start();
    await store.commit(['a', 'b', 'c'].map((n) => ({ type: 'create' as const, object: pod(n) })));
    const cond = await until(() => {
      const c = pods.get('default', 'c');
      return c?.resource?.$case === 'pod' && c.resource.pod.status?.conditions.find((x) => x.type === 'PodScheduled' && x.status === 'False');
    });
    expect(cond).toMatchObject({ reason: 'Unschedulable', message: '0/1 nodes are available: 1 Too many pods.' });
    // Parked: no busy loop while nothing changes.
    await until(() => scheduler!.parkedCount === 1);
    const attempts = calls.filter((c) => c.pod === 'c').length;
    await new Promise((r) => setTimeout(r, 300));
    expect(calls.filter((c) => c.pod === 'c').length).toBe(attempts);

    await store.create(node('n2'));
    await until(() => boundTo('c') === 'n2');
  });

  it.each([
    { name: 'deleted', free: (name: string) => store.delete(pods.kind, 'default', name).then(() => undefined) },
    {
      name: 'finished',
      free: (name: string) =>
        store.mutate(pods.kind, 'default', name, (copy) => {
          if (copy.resource?.$case === 'pod') copy.resource.pod.status = { ...copy.resource.pod.status!, phase: 'Succeeded' };
          return copy;
        }).then(() => undefined),
    },
  ])('a bound pod $name frees its room for the next batch at once (the kept snapshot is dropped)', async ({ free }) => {
    await store.create(node('n1'));
    await until(() => nodes.list().length === 1);
    start();
    await store.commit(['a', 'b'].map((n) => ({ type: 'create' as const, object: pod(n) })));
    await until(() => boundTo('a') && boundTo('b'));
    await store.create(pod('c'));
    await until(() => scheduler!.parkedCount === 1);
    await free('a');
    // Well within the snapshot's maximum age: only the change itself can make room.
    await until(() => boundTo('c') === 'n1', 900);
    const last = calls.filter((c) => c.pod === 'c').at(-1)!;
    expect(last.nodes).toEqual({ n1: ['b'] });
  });

  it('counts the pods of earlier batches whose bindings are still in flight', async () => {
    await store.create(node('n1'));
    await store.create(node('n2'));
    await until(() => nodes.list().length === 2);
    class SlowStore extends ObjectStore {
      override async commit(ops: Parameters<ObjectStore['commit']>[0], fence?: Fence) {
        await new Promise((r) => setTimeout(r, 300));
        return super.commit(ops, fence);
      }
    }
    start(undefined, new SlowStore(fx.client()));
    await store.create(pod('a'));
    await until(() => calls.some((c) => c.pod === 'a'));
    // a's binding is not written yet: the next batch sees it on its node all the same.
    await store.create(pod('b'));
    await until(() => boundTo('a') && boundTo('b'));
    expect(calls.find((c) => c.pod === 'b')!.nodes).toEqual({ n1: ['a'], n2: [] });
    expect([boundTo('a'), boundTo('b')]).toEqual(['n1', 'n2']);
  });

  it('never binds when the fence is refused', async () => {
    await store.create(node('n1'));
    await until(() => nodes.list().length === 1);
    start(() => {
      throw new NotLeaderError('deposed');
    });
    await store.create(pod('a'));
    await until(() => calls.length >= 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(boundTo('a')).toBe('');
    expect(metaOf((await store.get(pods.kind, 'default', 'a'))).name).toBe('a');
  });

  it('never binds with the fence of an earlier term', async () => {
    await store.create(node('n1'));
    await until(() => nodes.list().length === 1);
    // The leader key was re-created (another term): the old fence refuses.
    const stale = leaderFence!;
    await fx.client().delete().key('/test/leader');
    await fx.client().put('/test/leader').value('other');
    start(() => stale);
    await store.create(pod('a'));
    await until(() => calls.length >= 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(boundTo('a')).toBe('');
  });

  it('does not overwrite a pod that changed while it was being bound, and binds it on the retry', async () => {
    await store.create(node('n1'));
    await until(() => nodes.list().length === 1);
    // The first bind races a user's change: the user's write lands between the
    // scheduler's read and its transaction.
    let raced = false;
    class RacingStore extends ObjectStore {
      override async update(obj: ApiObject, fence?: Fence): Promise<ApiObject> {
        if (!raced) {
          raced = true;
          await store.mutate(pods.kind, 'default', 'a', (copy) => {
            metaOf(copy).labels['changed'] = 'yes';
            return copy;
          });
        }
        return super.update(obj, fence);
      }
    }
    start(undefined, new RacingStore(fx.client()));
    await store.create(pod('a'));
    await until(() => boundTo('a') === 'n1');
    const stored = await store.get(pods.kind, 'default', 'a');
    expect(metaOf(stored).labels).toEqual({ changed: 'yes' });
    expect(calls.filter((c) => c.pod === 'a').length).toBe(2);
  });

  it('binds the others of a batch when one pod of the shared transaction changed', async () => {
    await store.create(node('n1'));
    await store.create(node('n2'));
    await until(() => nodes.list().length === 2);
    let raced = false;
    class RacingStore extends ObjectStore {
      override async commit(ops: Parameters<ObjectStore['commit']>[0], fence?: Fence) {
        if (!raced && ops.length > 1) {
          raced = true;
          await store.mutate(pods.kind, 'default', 'b', (copy) => {
            metaOf(copy).labels['changed'] = 'yes';
            return copy;
          });
        }
        return super.commit(ops, fence);
      }
    }
    // Created before the scheduler starts, so that all three land in one batch.
    await store.commit(['a', 'b', 'c'].map((n) => ({ type: 'create' as const, object: pod(n) })));
    await until(() => pods.list().length === 3);
    start(undefined, new RacingStore(fx.client()));
    await until(() => ['a', 'b', 'c'].every((n) => boundTo(n)));
    expect(raced).toBe(true);
    expect(metaOf(await store.get(pods.kind, 'default', 'b')).labels).toEqual({ changed: 'yes' });
  });
});
