import { generateToken } from './token-format';
import { hashSecret } from './token-hash';

/** What a token lets its bearer join as. */
export type JoinUsage = 'node' | 'master';

/**
 * A join token as stored (JSON, by the master, in etcd). Only the hash of the secret is
 * kept; the full token is shown once, when it is created.
 */
export interface TokenRecord {
  readonly id: string;
  readonly secretHash: string;
  readonly usages: readonly JoinUsage[];
  /** Epoch ms after which the token is refused; null = never expires. */
  readonly expires: number | null;
  /** Joins left; null = unlimited. (`orchard token create --usages N` sets it.) */
  readonly remainingUses: number | null;
  readonly description: string;
  readonly createdAt: number;
}

export interface NewTokenOptions {
  readonly usages?: readonly JoinUsage[];
  /** Lifetime in ms; null = never expires. Defaults to 24 h like kubeadm. */
  readonly ttlMs?: number | null;
  /** Number of joins allowed; null = unlimited (the default). */
  readonly uses?: number | null;
  readonly description?: string;
  readonly now: number;
  readonly random?: (size: number) => Uint8Array;
}

export const DEFAULT_TOKEN_TTL_MS = 24 * 3_600_000;

/** Creates a token: the full `id.secret` (show it once) and the record to store. */
export function createToken(opts: NewTokenOptions): { token: string; record: TokenRecord } {
  const usages = opts.usages ?? ['node'];
  if (usages.length === 0 || usages.some((u) => u !== 'node' && u !== 'master')) {
    throw new Error(`token usages must be "node" and/or "master", got ${JSON.stringify(usages)}`);
  }
  const ttlMs = opts.ttlMs === undefined ? DEFAULT_TOKEN_TTL_MS : opts.ttlMs;
  if (ttlMs !== null && !(Number.isFinite(ttlMs) && ttlMs > 0)) throw new Error(`token ttl must be positive, got ${ttlMs}`);
  const uses = opts.uses ?? null;
  if (uses !== null && !(Number.isInteger(uses) && uses > 0)) throw new Error(`token usages must be a positive whole number, got ${uses}`);
  const { id, secret, token } = generateToken(opts.random);
  return {
    token,
    record: {
      id,
      secretHash: hashSecret(id, secret),
      usages: [...new Set(usages)],
      expires: ttlMs === null ? null : opts.now + ttlMs,
      remainingUses: uses,
      description: opts.description ?? '',
      createdAt: opts.now,
    },
  };
}

/** True once the token can no longer be used because of time (it may be removed). */
export function isExpired(record: TokenRecord, now: number): boolean {
  return record.expires !== null && now >= record.expires;
}
