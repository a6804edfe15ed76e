import { randomBytes } from 'node:crypto';

/** AES-256: keys are exactly 32 bytes. */
export const KEY_BYTES = 32;

/** Key ids appear in every stored value's header; keep them short and free of ':'. */
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Encryption keys for data at rest. New values are encrypted with the current key; older
 * keys stay for decryption until every value has been rewritten with the current one
 * (rotation: add a new key, make it current, rewrite, then drop the old key).
 */
export interface Keyring {
  readonly currentKeyId: string;
  /** The key for an id, or undefined if the keyring does not hold it. */
  key(id: string): Buffer | undefined;
  readonly keyIds: readonly string[];
}

/** Builds a keyring; throws naming the key id when an id or key is malformed. */
export function createKeyring(currentKeyId: string, keys: Readonly<Record<string, Uint8Array>>): Keyring {
  const map = new Map<string, Buffer>();
  for (const [id, key] of Object.entries(keys)) {
    checkKeyId(id);
    if (key.length !== KEY_BYTES) throw new Error(`encryption key "${id}" must be ${KEY_BYTES} bytes, got ${key.length}`);
    map.set(id, Buffer.from(key));
  }
  if (!map.has(currentKeyId)) {
    throw new Error(`current encryption key "${currentKeyId}" is not among the keys (${[...map.keys()].join(', ') || 'none'})`);
  }
  return { currentKeyId, keyIds: [...map.keys()], key: (id) => map.get(id) };
}

/** The configuration form: `{ current: "k2", keys: { k1: "<base64>", k2: "<base64>" } }`. */
export interface KeyringConfig {
  readonly current: string;
  readonly keys: Readonly<Record<string, string>>;
}

export function keyringFromConfig(config: KeyringConfig): Keyring {
  const keys: Record<string, Buffer> = {};
  for (const [id, b64] of Object.entries(config.keys ?? {})) {
    if (typeof b64 !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
      throw new Error(`encryption key "${id}" must be base64`);
    }
    keys[id] = Buffer.from(b64, 'base64');
  }
  return createKeyring(config.current, keys);
}

/** A fresh random 32-byte key (randomness injected for tests). */
export function generateKey(random: (size: number) => Uint8Array = randomBytes): Buffer {
  return Buffer.from(random(KEY_BYTES));
}

export function checkKeyId(id: string): void {
  if (!KEY_ID.test(id)) {
    throw new Error(`invalid encryption key id ${JSON.stringify(id)}: use 1-32 letters, digits, '_' or '-'`);
  }
}
