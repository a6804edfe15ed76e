import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotLeaderError, Pod, createLogger, wrapPod } from '@orchard/api';
import { startEtcdFixture, type EtcdFixture } from '../testing/etcd-fixture';
import { ObjectStore } from '../store/object-store';
import { LeaderElection } from './leader-election';
import { MasterRegistry } from './master-registry';

const log = createLogger('election-test', 'silent');

function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => (cond() ? resolve() : Date.now() - t0 > ms ? reject(new Error('timed out')) : setTimeout(tick, 20));
    tick();
  });
}

function pod(name: string) {
  return wrapPod(Pod.fromPartial({ metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'x' }] } }));
}

describe('LeaderElection on a real etcd', () => {
  let fx: EtcdFixture;

  beforeAll(async () => {
    fx = await startEtcdFixture(22120);
  }, 30_000);
  afterAll(async () => {
    await fx?.stop();
  });

  it('elects one master, fences a deposed one, and hands over on resign', async () => {
    const store = new ObjectStore(fx.client());
    const m1 = new LeaderElection(fx.client(), { name: 'm1', ttlSeconds: 2, log });
    const m2 = new LeaderElection(fx.client(), { name: 'm2', ttlSeconds: 2, log });
    const events: string[] = [];
    m1.onLeader(() => events.push('m1 leads'));
    m1.onFollower(() => events.push('m1 follows'));
    m2.onLeader(() => events.push('m2 leads'));
    m1.start();
    await until(() => m1.isLeader());
    m2.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(m2.isLeader()).toBe(false);
    expect(() => m2.fence()).toThrow(NotLeaderError);
    expect(await m1.leaderName()).toBe('m1');

    const oldFence = m1.fence();
    await store.create(pod('by-m1'), oldFence);
    await m1.stop();
    await until(() => m2.isLeader());
    // m1's fence from its term is refused now that m2 leads.
    await expect(store.create(pod('late-m1'), oldFence)).rejects.toBeInstanceOf(NotLeaderError);
    await store.create(pod('by-m2'), m2.fence());
    expect(events).toEqual(['m1 leads', 'm1 follows', 'm2 leads']);

    const registry = new MasterRegistry(fx.client(), { name: 'm2', address: '127.0.0.1:1', version: 'test', startedAt: 'now' }, log);
    await registry.start();
    const masters = await MasterRegistry.list(fx.client(), await m2.leaderName());
    expect(masters.map((m) => [m.name, m.leader])).toEqual([['m2', true]]);
    await registry.stop();
    await m2.stop();
  }, 20_000);

  it('does not lead on an elected event while an older campaign key exists', async () => {
    const holder = fx.client().election('orchard-leader', 10).campaign('holder');
    await new Promise<void>((resolve, reject) => {
      holder.once('elected', () => resolve());
      holder.once('error', reject);
    });
    const m = new LeaderElection(fx.client(), { name: 'm3', ttlSeconds: 2, log, retryDelayMs: 50 });
    m.start();
    const campaign = () => (m as unknown as { campaign?: { emit(e: string): boolean; getCampaignKey(): Promise<string> } }).campaign;
    await until(() => campaign() !== undefined);
    // Its key must exist before the event is faked: wait until it is in etcd.
    const key = await campaign()!.getCampaignKey();
    for (let i = 0; i < 50 && !(await fx.client().get(key).exists()); i++) await new Promise((r) => setTimeout(r, 20));
    // What the client library did under heavy load: 'elected' while the holder's key lives.
    campaign()!.emit('elected');
    await new Promise((r) => setTimeout(r, 300));
    expect(m.isLeader()).toBe(false);
    expect(() => m.fence()).toThrow(NotLeaderError);
    // Once the holder resigns, it leads.
    await holder.resign();
    await until(() => m.isLeader());
    await m.stop();
  }, 20_000);
});
