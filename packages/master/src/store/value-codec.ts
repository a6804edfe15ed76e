import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { decrypt, encrypt, isEncrypted, type Keyring, type KeyringConfig } from '../secrets';

/** Reads --encryption-config: `current: k2` and `keys: { k1: <base64>, k2: <base64> }`. */
export async function readEncryptionConfig(file: string): Promise<KeyringConfig> {
  let v: unknown;
  try {
    v = parseYaml(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read --encryption-config ${file}: ${(err as Error).message}`, { cause: err });
  }
  const cfg = v as Partial<KeyringConfig> | null;
  if (!cfg || typeof cfg.current !== 'string' || typeof cfg.keys !== 'object' || cfg.keys === null) {
    throw new Error(`--encryption-config ${file} must have "current: ID" and "keys:" mapping ids to base64 keys`);
  }
  return { current: cfg.current, keys: cfg.keys };
}

/**
 * Turns an object's protobuf bytes into what is stored at its etcd key and back. The
 * object store calls it for every value it writes and reads (get, list, watch, and so
 * the caches), so no path can see or write a Secret in clear.
 */
export interface ValueCodec {
  encode(key: string, value: Buffer): Buffer;
  decode(key: string, value: Buffer): Buffer;
}

/** Values as they are (tests, and kinds that are not secret). */
export const identityCodec: ValueCodec = { encode: (_k, v) => v, decode: (_k, v) => v };

/**
 * Encrypts the values of keys under `prefixes` (the Secrets) with AES-256-GCM, bound to
 * their etcd key, with the keyring's current key; decrypts with whichever key wrote
 * them. A Secret written before encryption was on is still read (and encrypted when it
 * is next written).
 */
export function encryptingCodec(keyring: Keyring, prefixes: readonly string[]): ValueCodec {
  const secret = (key: string) => prefixes.some((p) => key.startsWith(p));
  return {
    encode: (key, value) => (secret(key) ? encrypt(keyring, value, { context: key }) : value),
    decode: (key, value) => {
      if (!secret(key) || !isEncrypted(value)) return value;
      try {
        return decrypt(keyring, value, { context: key });
      } catch (err) {
        throw new Error(`cannot decrypt ${key}: ${(err as Error).message}`, { cause: err });
      }
    },
  };
}
