import { parseToken } from './token-format';
import { createToken, isExpired, type JoinUsage, type NewTokenOptions, type TokenRecord } from './token-record';
import type { TokenStore } from './token-store';
import { validateToken } from './validate';

/** Compare-and-swap retries before giving up; only concurrent joins with one token collide. */
const MAX_CAS_ATTEMPTS = 10;

/**
 * Validates a presented token and consumes one use, atomically with respect to other
 * masters (compare-and-swap on the record's version), so a token with N uses admits
 * exactly N joins. Returns the record as it was before this use.
 */
export async function redeemToken(store: TokenStore, presented: string, usage: JoinUsage, now: number): Promise<TokenRecord> {
  const { id } = parseToken(presented);
  for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
    const current = await store.get(id);
    const record = validateToken(presented, current?.record, now, usage);
    if (record.remainingUses === null) return record;
    if (await store.replace({ ...record, remainingUses: record.remainingUses - 1 }, current!.version)) return record;
    // Someone else used or changed the token meanwhile: re-read and re-validate.
  }
  throw new Error(`token ${id} is being used by too many joins at once; retry`);
}

/** Creates and stores a new token, retrying on the (unlikely) id collision. Returns the full token once. */
export async function issueToken(store: TokenStore, opts: NewTokenOptions): Promise<{ token: string; record: TokenRecord }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const created = createToken(opts);
    if (await store.create(created.record)) return created;
  }
  throw new Error('could not find a free token id; check the randomness source');
}

/** Deletes expired tokens; returns their ids. The master runs it periodically and on list. */
export async function pruneExpiredTokens(store: TokenStore, now: number): Promise<string[]> {
  const removed: string[] = [];
  for (const record of await store.list()) {
    if (isExpired(record, now) && (await store.delete(record.id))) removed.push(record.id);
  }
  return removed;
}
