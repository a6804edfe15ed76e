import { ConflictError, NotFoundError, type Logger } from '@orchard/api';
import { needsReencryption } from './envelope';
import type { Keyring } from './keyring';

/** A Secret's value as etcd holds it: the stored (encrypted) bytes and the key's mod revision. */
export interface StoredSecret {
  readonly key: string;
  readonly value: Buffer;
  readonly modRevision: string;
}

/** What a rewrite changed, for the log and the `orchard secrets reencrypt` answer. */
export interface ReencryptResult {
  /** Secrets found. */
  readonly total: number;
  /** Secrets rewritten under the current key. */
  readonly rewritten: number;
  /** The current key id. */
  readonly keyId: string;
}

export interface ReencryptDeps {
  readonly keyring: Keyring;
  /** Every Secret's stored value, read at one revision. */
  scan(): Promise<StoredSecret[]>;
  /**
   * Rewrites a batch in one transaction (each Secret as it is, so the store encrypts it
   * with the current key), only if none of them changed since `scan`. Throws
   * ConflictError or NotFoundError when one did; nothing is written then.
   */
  rewriteBatch(batch: readonly StoredSecret[]): Promise<void>;
  /** Reads one Secret again and rewrites it if it still needs it; retries its own conflicts. */
  rewriteOne(secret: StoredSecret): Promise<'rewritten' | 'current' | 'gone'>;
  sleep(ms: number): Promise<void>;
  readonly log: Logger;
}

export interface ReencryptOptions {
  /** Secrets per transaction (etcd allows 128 operations per transaction by default). */
  readonly batchSize: number;
  /** Pause between transactions, so a large cluster's etcd is not hammered. */
  readonly pauseMs: number;
  /** Checked between batches: a master that lost the leadership stops. */
  readonly cancelled?: () => boolean;
}

export const DEFAULT_REENCRYPT_OPTIONS: ReencryptOptions = { batchSize: 50, pauseMs: 100 };

/**
 * Completes a key rotation: every Secret not stored under the keyring's current key (or
 * stored before encryption was on) is rewritten, so the store encrypts it with the
 * current key. Rewrites go in batches of one transaction each with a pause between them;
 * a batch that meets a concurrent write falls back to one Secret at a time (a Secret
 * written meanwhile is already under the current key). Errors other than conflicts
 * (etcd down, leadership lost) end the run; running it again picks up where it stopped.
 */
export async function reencryptSecrets(deps: ReencryptDeps, opts: ReencryptOptions = DEFAULT_REENCRYPT_OPTIONS): Promise<ReencryptResult> {
  const { keyring } = deps;
  const all = await deps.scan();
  const stale = all.filter((s) => needsReencryption(keyring, s.value));
  let rewritten = 0;
  for (let i = 0; i < stale.length; i += opts.batchSize) {
    if (opts.cancelled?.()) break;
    if (i > 0 && opts.pauseMs > 0) await deps.sleep(opts.pauseMs);
    const batch = stale.slice(i, i + opts.batchSize);
    try {
      await deps.rewriteBatch(batch);
      rewritten += batch.length;
    } catch (err) {
      if (!(err instanceof ConflictError) && !(err instanceof NotFoundError)) throw err;
      for (const s of batch) if ((await deps.rewriteOne(s)) === 'rewritten') rewritten++;
    }
  }
  const result = { total: all.length, rewritten, keyId: keyring.currentKeyId };
  if (rewritten > 0 || stale.length > 0) deps.log.info(result, 'secrets re-encrypted with the current encryption key');
  else deps.log.debug(result, 'every secret is already under the current encryption key');
  return result;
}
