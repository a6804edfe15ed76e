import { ApiObject, ConflictError, NotFoundError, ObjectMeta, kindByCase, unwrap, type Logger } from '@orchard/api';
import type { Etcd3, IKeyValue } from 'etcd3';
import { fromEtcdError } from '../store/errors';
import type { Fence } from '../store/fence';
import { ObjectStore } from '../store/object-store';
import { needsReencryption } from './envelope';
import type { Keyring } from './keyring';
import { DEFAULT_REENCRYPT_OPTIONS, reencryptSecrets, type ReencryptOptions, type ReencryptResult, type StoredSecret } from './reencrypt';

export interface SecretReencryptionDeps {
  readonly etcd: Etcd3;
  /** The store whose codec encrypts Secrets with `keyring` (every write goes through it). */
  readonly store: ObjectStore;
  readonly keyring: Keyring;
  readonly log: Logger;
  readonly options?: ReencryptOptions;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Rewrites Secrets stored under an older key, over etcd: as a leader controller (fenced,
 * started on every election win, so a restart with a new primary key completes the
 * rotation by itself) and on request (`orchard secrets reencrypt`).
 */
export class SecretReencryption {
  private running: { cancelled: boolean } | undefined;

  constructor(private readonly deps: SecretReencryptionDeps) {}

  /** One pass over every Secret; `fence` makes the writes leader-only. */
  run(fence?: Fence, cancelled?: () => boolean): Promise<ReencryptResult> {
    const { etcd, store, keyring, log } = this.deps;
    const prefix = ObjectStore.registryPrefix(kindByCase('secret'));
    const decode = (s: StoredSecret): ApiObject => {
      const obj = ApiObject.decode(store.codec.decode(s.key, s.value));
      const inner = unwrap(obj);
      inner.metadata = { ...(inner.metadata ?? ObjectMeta.fromPartial({})), resourceVersion: s.modRevision };
      return obj;
    };
    const read = async (key: string): Promise<StoredSecret | undefined> => {
      try {
        const kv = (await etcd.get(key).exec()).kvs[0];
        return kv ? stored(kv) : undefined;
      } catch (err) {
        throw fromEtcdError(err, `get ${key}`);
      }
    };
    return reencryptSecrets(
      {
        keyring,
        log,
        sleep: this.deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
        scan: async () => {
          try {
            return (await etcd.getAll().prefix(prefix).exec()).kvs.map(stored);
          } catch (err) {
            throw fromEtcdError(err, `list ${prefix}`);
          }
        },
        rewriteBatch: async (batch) => {
          await store.commit(batch.map((s) => ({ type: 'update' as const, object: decode(s) })), fence);
        },
        rewriteOne: async (first) => {
          let s: StoredSecret | undefined = first;
          for (let attempt = 0; attempt < 5; attempt++) {
            if (attempt > 0) s = await read(first.key);
            if (!s) return 'gone';
            if (!needsReencryption(keyring, s.value)) return 'current';
            try {
              await store.commit([{ type: 'update', object: decode(s) }], fence);
              return 'rewritten';
            } catch (err) {
              if (err instanceof NotFoundError) return 'gone';
              if (!(err instanceof ConflictError)) throw err;
            }
          }
          throw new ConflictError('secrets', first.key.slice(prefix.length));
        },
      },
      { ...(this.deps.options ?? DEFAULT_REENCRYPT_OPTIONS), cancelled },
    );
  }

  /** Starts a fenced pass in the background (on becoming leader); a running one is cancelled first. */
  startAsLeader(fence: () => Fence): void {
    this.stop();
    const state = { cancelled: false };
    this.running = state;
    Promise.resolve()
      .then(() => this.run(fence(), () => state.cancelled))
      .then(
      () => undefined,
      (err: unknown) => {
        if (!state.cancelled) this.deps.log.warn({ err: (err as Error).message }, 're-encrypting secrets failed; the next leader start or `orchard secrets reencrypt` retries');
      },
    );
  }

  /** Cancels a background pass (on losing the leadership). */
  stop(): void {
    if (this.running) this.running.cancelled = true;
    this.running = undefined;
  }
}

function stored(kv: IKeyValue): StoredSecret {
  return { key: kv.key.toString(), value: kv.value, modRevision: kv.mod_revision };
}
