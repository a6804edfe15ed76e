import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Node, createLogger, kindByCase, systemClock, wrapNode, type ApiObject } from '@orchard/api';
import { startEtcdFixture, type EtcdFixture } from '../testing/etcd-fixture';
import { Informer } from '../store/cache';
import { ObjectStore } from '../store/object-store';
import { NodeLifecycle } from './node-lifecycle';
import { NODE_LEASES_PREFIX } from './node-lease';

const log = createLogger('node-lifecycle-test', 'silent');

async function until<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 5000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function readyNode(name: string): ApiObject {
  return wrapNode(Node.fromPartial({ metadata: { name }, status: { conditions: [{ type: 'Ready', status: 'True', reason: 'AgentReady' }] } }));
}

describe('NodeLifecycle on a real etcd', () => {
  let fx: EtcdFixture;
  let store: ObjectStore;
  let nodes: Informer;
  let lifecycle: NodeLifecycle;

  const ready = async (name: string) => {
    const n = await store.get(kindByCase('node'), '', name);
    return n.resource?.$case === 'node' ? n.resource.node.status?.conditions.find((c) => c.type === 'Ready') : undefined;
  };

  beforeAll(async () => {
    fx = await startEtcdFixture(22200);
    store = new ObjectStore(fx.client());
    const etcd = fx.client();
    await etcd.put('/test/leader').value('me');
    const createRevision = (await etcd.get('/test/leader').exec()).kvs[0]!.create_revision;
    await store.create(readyNode('silent'));
    await store.create(readyNode('alive'));
    await etcd.put(NODE_LEASES_PREFIX + 'alive').value('x');
    nodes = new Informer(store, kindByCase('node'), log);
    await nodes.start();
    lifecycle = new NodeLifecycle({ etcd, store, nodes, clock: systemClock, log, fence: () => ({ key: '/test/leader', createRevision }) });
    await lifecycle.start();
  }, 30_000);
  afterAll(async () => {
    await lifecycle?.stop();
    await nodes?.stop();
    await fx?.stop();
  });

  it('marks a Ready node without a lease Unknown when it starts, and leaves a node with one alone', async () => {
    const c = await until(async () => {
      const r = await ready('silent');
      return r?.status === 'Unknown' && r;
    });
    expect(c).toMatchObject({ reason: 'NodeStatusUnknown', message: 'Agent stopped posting node status.' });
    expect((await ready('alive'))?.status).toBe('True');
  });

  it('marks a node Unknown when its lease key goes', async () => {
    await fx.client().delete().key(NODE_LEASES_PREFIX + 'alive');
    await until(async () => (await ready('alive'))?.status === 'Unknown');
  });

  it('does not mark a node whose agent has a lease again', async () => {
    await store.create(readyNode('back'));
    await fx.client().put(NODE_LEASES_PREFIX + 'back').value('x');
    // As if the lease-deleted event of an older lease arrived after the agent reconnected.
    await lifecycle.markSilent('back');
    expect((await ready('back'))?.status).toBe('True');
  });
});
