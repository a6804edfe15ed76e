import { ConflictError, NotLeaderError, createLogger } from '@orchard/api';
import { describe, expect, it } from 'vitest';
import { encrypt, keyIdOf } from './envelope';
import { createKeyring } from './keyring';
import { reencryptSecrets, type StoredSecret } from './reencrypt';

const log = createLogger('reencrypt-test', 'silent');
const keyA = Buffer.alloc(32, 1);
const keyB = Buffer.alloc(32, 2);
const underA = createKeyring('a', { a: keyA });
const rotated = createKeyring('b', { a: keyA, b: keyB });

/** An etcd stand-in: values by key, each write re-encrypting with `rotated`'s current key. */
function fakeStore(values: Record<string, Buffer>, opts: { conflictOnBatch?: boolean; failWith?: Error } = {}) {
  const data = new Map(Object.entries(values).map(([k, v]) => [k, { value: v, mod: 1 }]));
  const calls = { batches: [] as number[], singles: 0, sleeps: [] as number[] };
  const put = (s: StoredSecret) => {
    const cur = data.get(s.key);
    if (!cur) throw new Error(`gone: ${s.key}`);
    if (String(cur.mod) !== s.modRevision) throw new ConflictError('secrets', s.key);
    data.set(s.key, { value: encrypt(rotated, Buffer.from('secret')), mod: cur.mod + 1 });
  };
  const deps = {
    keyring: rotated,
    log,
    scan: async () => [...data.entries()].map(([key, v]) => ({ key, value: v.value, modRevision: String(v.mod) })),
    rewriteBatch: async (batch: readonly StoredSecret[]) => {
      calls.batches.push(batch.length);
      if (opts.failWith) throw opts.failWith;
      if (opts.conflictOnBatch) throw new ConflictError('secrets', batch[0]!.key);
      for (const s of batch) put(s);
    },
    rewriteOne: async (s: StoredSecret) => {
      calls.singles++;
      const cur = data.get(s.key)!;
      if (keyIdOf(cur.value) === 'b') return 'current' as const;
      put({ ...s, modRevision: String(cur.mod) });
      return 'rewritten' as const;
    },
    sleep: async (ms: number) => void calls.sleeps.push(ms),
  };
  return { deps, data, calls };
}

const secrets = (n: number, keyring = underA) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`/orchard/registry/secrets/default/s${i}`, encrypt(keyring, Buffer.from('secret'))]));

describe('reencryptSecrets', () => {
  const cases: Array<{ name: string; values: Record<string, Buffer>; batchSize: number; result: { total: number; rewritten: number }; batches: number[]; sleeps: number }> = [
    { name: 'rewrites every secret under the old key, in batches with a pause between', values: secrets(7), batchSize: 3, result: { total: 7, rewritten: 7 }, batches: [3, 3, 1], sleeps: 2 },
    { name: 'leaves secrets already under the current key alone', values: { ...secrets(2, rotated), '/orchard/registry/secrets/default/old': encrypt(underA, Buffer.from('x')) }, batchSize: 50, result: { total: 3, rewritten: 1 }, batches: [1], sleeps: 0 },
    { name: 'encrypts a secret stored before encryption was on', values: { '/orchard/registry/secrets/default/plain': Buffer.from('plaintext protobuf') }, batchSize: 50, result: { total: 1, rewritten: 1 }, batches: [1], sleeps: 0 },
    { name: 'writes nothing when every secret is current', values: secrets(4, rotated), batchSize: 50, result: { total: 4, rewritten: 0 }, batches: [], sleeps: 0 },
  ];
  for (const tc of cases) {
    it(tc.name, async () => {
      const { deps, data, calls } = fakeStore(tc.values);
      const r = await reencryptSecrets(deps, { batchSize: tc.batchSize, pauseMs: 100 });
      expect(r).toEqual({ ...tc.result, keyId: 'b' });
      expect(calls.batches).toEqual(tc.batches);
      expect(calls.sleeps).toEqual(Array(tc.sleeps).fill(100));
      for (const { value } of data.values()) expect(keyIdOf(value)).toBe('b');
    });
  }

  it('falls back to one secret at a time when a batch meets a concurrent write', async () => {
    const { deps, data, calls } = fakeStore(secrets(3), { conflictOnBatch: true });
    expect(await reencryptSecrets(deps, { batchSize: 50, pauseMs: 0 })).toEqual({ total: 3, rewritten: 3, keyId: 'b' });
    expect(calls.singles).toBe(3);
    for (const { value } of data.values()) expect(keyIdOf(value)).toBe('b');
  });

  it('stops at a lost leadership (the next leader picks up)', async () => {
    const { deps } = fakeStore(secrets(3), { failWith: new NotLeaderError('no longer the leader') });
    await expect(reencryptSecrets(deps, { batchSize: 50, pauseMs: 0 })).rejects.toThrow('no longer the leader');
  });

  it('stops between batches when cancelled', async () => {
    const { deps, calls } = fakeStore(secrets(5));
    let n = 0;
    const r = await reencryptSecrets(deps, { batchSize: 2, pauseMs: 0, cancelled: () => n++ >= 1 });
    expect(r.rewritten).toBe(2);
    expect(calls.batches).toEqual([2]);
  });
});
