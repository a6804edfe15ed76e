import { TokenError } from './errors';
import type { JoinRateLimiter } from './rate-limiter';
import { redeemToken } from './redeem';
import type { JoinUsage, TokenRecord } from './token-record';
import type { TokenStore } from './token-store';

export interface JoinAttempt {
  /** The caller's address as grpc-js reports it (call.getPeer(), e.g. "192.168.1.21:50412"). */
  readonly peer: string;
  readonly token: string;
  readonly usage: JoinUsage;
  readonly now: number;
}

/** The address part of a grpc-js peer string ("ipv4:1.2.3.4:5", "[::1]:5", "1.2.3.4:5"). */
export function peerAddress(peer: string): string {
  const p = peer.replace(/^ipv[46]:/, '');
  const bracket = /^\[([^\]]+)\](:\d+)?$/.exec(p);
  if (bracket) return bracket[1]!;
  const m = /^(.*):\d+$/.exec(p);
  return m && !m[1]!.includes(':') ? m[1]! : p;
}

/**
 * The whole token check of a join call: refuse a rate-limited address first, then
 * redeem the token; a refused token counts as a failure for the address, a good one
 * clears it. Throws TooManyAttemptsError or a TokenError.
 */
export async function admitJoin(store: TokenStore, limiter: JoinRateLimiter, attempt: JoinAttempt): Promise<TokenRecord> {
  const address = peerAddress(attempt.peer);
  limiter.check(address);
  try {
    const record = await redeemToken(store, attempt.token, attempt.usage, attempt.now);
    limiter.recordSuccess(address);
    return record;
  } catch (err) {
    if (err instanceof TokenError) limiter.recordFailure(address);
    throw err;
  }
}
