import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Node, Pod, createLogger, kindByCase, metaOf, systemClock, wrapNode, wrapPod, type ApiObject } from '@orchard/api';
import { ObjectStore } from '../store/object-store';
import { startEtcdFixture, type EtcdFixture } from '../testing/etcd-fixture';
import { releasePodsOfDeletedNode } from './deleted-node-pods';
import { TAINT_UNREACHABLE } from './lifecycle-taints';
import { NODE_LEASES_PREFIX } from './node-lease';
import { PINNED_NODE_ANNOTATION } from './pinned-pods';
import { EVICTED_REASON, StorePodEvictor } from './pod-eviction';

const log = createLogger('pod-eviction-test', 'silent');
const POD = kindByCase('pod');
const taint = { key: TAINT_UNREACHABLE, value: '', effect: 'NoExecute', timeAdded: '' };

function pod(name: string, nodeName: string, opts: { owner?: string; pinned?: boolean } = {}): ApiObject {
  return wrapPod(
    Pod.fromPartial({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: 'default',
        uid: `uid-${name}`,
        annotations: opts.pinned ? { [PINNED_NODE_ANNOTATION]: nodeName } : {},
        ownerReferences: opts.owner ? [{ kind: opts.owner, name: 'x', uid: 'o1', controller: true }] : [],
      },
      spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] },
      status: { phase: 'Running', podIp: '10.42.1.5' },
    }),
  );
}

describe('pod eviction on a real etcd', () => {
  let fx: EtcdFixture;
  let store: ObjectStore;
  let fence: { key: string; createRevision: string };
  let n = 0;
  const ids = { uuid: () => `new-uid-${++n}` };

  beforeAll(async () => {
    fx = await startEtcdFixture(22320);
    store = new ObjectStore(fx.client());
    const etcd = fx.client();
    await etcd.put('/test/leader').value('me');
    fence = { key: '/test/leader', createRevision: (await etcd.get('/test/leader').exec()).kvs[0]!.create_revision };
    await store.create(wrapNode(Node.fromPartial({ metadata: { name: 'pi1' } })));
  }, 30_000);
  afterAll(async () => {
    await fx?.stop();
  });

  it('reschedules a bare pod: unbound, a new uid, Pending with the reason', async () => {
    const created = await store.create(pod('bare', 'pi1'));
    await new StorePodEvictor({ store, ids, clock: systemClock, log, fence: () => fence }).evict(created, 'pi1', taint);
    const after = await store.get(POD, 'default', 'bare');
    const p = after.resource?.$case === 'pod' ? after.resource.pod : undefined;
    expect(metaOf(after).uid).toMatch(/^new-uid-/);
    expect(p?.spec?.nodeName).toBe('');
    expect(p?.status?.phase).toBe('Pending');
    expect(p?.status?.podIp).toBe('');
    expect(p?.status?.message).toBe(`Evicted from node pi1: taint {${TAINT_UNREACHABLE}: } NoExecute; rescheduling`);
    expect(p?.status?.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([`DisruptionTarget=True/${EVICTED_REASON}`]);
  });

  it('deletes a pod a controller owns', async () => {
    const created = await store.create(pod('owned', 'pi1', { owner: 'ReplicaSet' }));
    await new StorePodEvictor({ store, ids, clock: systemClock, log, fence: () => fence }).evict(created, 'pi1', taint);
    expect(await store.tryGet(POD, 'default', 'owned')).toBeUndefined();
  });

  it('leaves a pod that is another one by now (uid) or on another node alone', async () => {
    const created = await store.create(pod('other', 'pi2'));
    const evictor = new StorePodEvictor({ store, ids, clock: systemClock, log, fence: () => fence });
    await evictor.evict(created, 'pi1', taint);
    const stale = pod('other', 'pi2');
    metaOf(stale).uid = 'uid-of-an-older-pod';
    await evictor.evict(stale, 'pi2', taint);
    const after = await store.get(POD, 'default', 'other');
    expect(metaOf(after).uid).toBe('uid-other');
    expect(after.resource?.$case === 'pod' && after.resource.pod.spec?.nodeName).toBe('pi2');
  });

  it('leaves the pods of an unreachable node that has a lease again', async () => {
    const created = await store.create(pod('back', 'pi3'));
    await fx.client().put(`${NODE_LEASES_PREFIX}pi3`).value('x');
    await new StorePodEvictor({ store, ids, clock: systemClock, log, fence: () => fence }).evict(created, 'pi3', taint);
    expect(metaOf(await store.get(POD, 'default', 'back')).uid).toBe('uid-back');
  });

  it('writes nothing without the leader key (fenced)', async () => {
    const created = await store.create(pod('fenced', 'pi1'));
    const evictor = new StorePodEvictor({ store, ids, clock: systemClock, log, fence: () => ({ key: '/test/leader', createRevision: '1' }) });
    await expect(evictor.evict(created, 'pi1', taint)).rejects.toThrow(/no longer the leader/);
    expect(metaOf(await store.get(POD, 'default', 'fenced')).uid).toBe('uid-fenced');
  });

  it('releases the pods of a deleted node: bare ones rescheduled, owned and pinned ones deleted', async () => {
    await store.create(pod('gone-bare', 'pi9'));
    await store.create(pod('gone-owned', 'pi9', { owner: 'ReplicaSet' }));
    await store.create(pod('gone-pinned', 'pi9', { pinned: true }));
    await store.create(pod('elsewhere', 'pi8'));
    const r = await releasePodsOfDeletedNode({ store, ids, clock: systemClock, log }, 'pi9');
    expect(r).toEqual({ moved: 1, deleted: 2 });
    const bare = await store.get(POD, 'default', 'gone-bare');
    expect(bare.resource?.$case === 'pod' && bare.resource.pod.spec?.nodeName).toBe('');
    expect(await store.tryGet(POD, 'default', 'gone-owned')).toBeUndefined();
    expect(await store.tryGet(POD, 'default', 'gone-pinned')).toBeUndefined();
    expect(metaOf(await store.get(POD, 'default', 'elsewhere')).uid).toBe('uid-elsewhere');
  });
});
