import { describe, expect, it } from 'vitest';
import { issueToken, pruneExpiredTokens, redeemToken } from './redeem';
import { MemoryTokenStore } from './token-store';
import { TokenNotFoundError, TokenUsedUpError } from './errors';

const NOW = Date.parse('2026-03-01T12:00:00Z');

describe('redeemToken', () => {
  it('admits exactly N joins for a token with N uses, even concurrently', async () => {
    const store = new MemoryTokenStore();
    const { token } = await issueToken(store, { now: NOW, uses: 3 });
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => redeemToken(store, token, 'node', NOW)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(TokenUsedUpError);
    }
    expect((await store.list())[0]!.remainingUses).toBe(0);
  });

  it('does not write when uses are unlimited', async () => {
    const store = new MemoryTokenStore();
    const { token, record } = await issueToken(store, { now: NOW });
    const before = await store.get(record.id);
    await redeemToken(store, token, 'node', NOW);
    expect(await store.get(record.id)).toBe(before);
  });

  it('refuses a deleted token', async () => {
    const store = new MemoryTokenStore();
    const { token, record } = await issueToken(store, { now: NOW });
    expect(await store.delete(record.id)).toBe(true);
    await expect(redeemToken(store, token, 'node', NOW)).rejects.toBeInstanceOf(TokenNotFoundError);
  });
});

describe('issueToken', () => {
  it('retries when the generated id is taken', async () => {
    const store = new MemoryTokenStore();
    let call = 0;
    // First two tokens identical (all "a"), then "b"s.
    const random = (size: number) => new Uint8Array(size).fill(call++ < 2 ? 0 : 1);
    const first = await issueToken(store, { now: NOW, random });
    const second = await issueToken(store, { now: NOW, random });
    expect(first.record.id).toBe('aaaaaa');
    expect(second.record.id).toBe('bbbbbb');
  });
});

describe('pruneExpiredTokens', () => {
  it('removes expired tokens only', async () => {
    const store = new MemoryTokenStore();
    const short = await issueToken(store, { now: NOW, ttlMs: 1000 });
    const long = await issueToken(store, { now: NOW, ttlMs: 10_000 });
    const forever = await issueToken(store, { now: NOW, ttlMs: null });
    expect(await pruneExpiredTokens(store, NOW + 5000)).toEqual([short.record.id]);
    expect((await store.list()).map((r) => r.id).sort()).toEqual([long.record.id, forever.record.id].sort());
  });
});
