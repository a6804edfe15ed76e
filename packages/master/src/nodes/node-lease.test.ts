import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEtcdFixture, type EtcdFixture } from '../testing/etcd-fixture';
import { EtcdNodeLeases, NODE_LEASES_PREFIX, NodeLeaseExpiredError } from './node-lease';

describe('EtcdNodeLeases on a real etcd', () => {
  let fx: EtcdFixture;
  let leases: EtcdNodeLeases;

  beforeAll(async () => {
    fx = await startEtcdFixture(22220);
    leases = new EtcdNodeLeases(fx.client());
  }, 30_000);
  afterAll(async () => {
    leases?.close();
    await fx?.stop();
  });

  const exists = (name: string) => fx.client().get(NODE_LEASES_PREFIX + name).exists();

  it('keeps a renewed node live past its TTL and lets a silent one expire', async () => {
    const [beating, silent] = await Promise.all([leases.grant('beating', 2), leases.grant('silent', 2)]);
    expect(await exists('beating')).toBe(true);
    // Many nodes renew over one stream at once.
    for (let i = 0; i < 8; i++) {
      await Promise.all([beating.renew(), beating.renew()]);
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(await exists('beating')).toBe(true);
    expect(await exists('silent')).toBe(false);
    // Only this error makes the node service grant a new lease.
    await expect(silent.renew()).rejects.toBeInstanceOf(NodeLeaseExpiredError);
    await expect(silent.renew()).rejects.toThrow(/expired/);
  }, 15_000);

  it('reports nothing for a lease released while its keep-alive was under way, even an expired one', async () => {
    const l = await leases.grant('woken', 2);
    await new Promise((r) => setTimeout(r, 3500));
    expect(await exists('woken')).toBe(false);
    // The stream ends while the keep-alive is out: no error, so no new lease is granted.
    const renewing = l.renew();
    l.release();
    await expect(renewing).resolves.toBeUndefined();
  }, 10_000);

  it('does not renew a released lease', async () => {
    const l = await leases.grant('released', 5);
    l.release();
    await expect(l.renew()).rejects.toThrow(/released/);
  });
});
