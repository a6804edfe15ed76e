import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { checkKeyId, type Keyring } from './keyring';
import { MalformedCiphertextError, TamperedCiphertextError, UnknownKeyError } from './errors';

/** Every encrypted value starts with this, then `<keyId>:`, then nonce, ciphertext and tag. */
export const ENCRYPTION_PREFIX = 'orchard:enc:aesgcm:v1:';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export interface EncryptOptions {
  /** Random bytes for the nonce; defaults to node:crypto randomBytes. */
  readonly random?: (size: number) => Uint8Array;
  /**
   * Bound to the ciphertext but not stored in it (GCM additional data), e.g. the etcd key
   * of the Secret: a value copied to another key then fails to decrypt.
   */
  readonly context?: string;
}

/**
 * Encrypts with the keyring's current key (AES-256-GCM, random 96-bit nonce).
 * Layout: `orchard:enc:aesgcm:v1:<keyId>:` | nonce (12) | ciphertext | tag (16).
 * The header is authenticated too, so the key id cannot be swapped.
 * Random nonces are safe for about 2^32 values per key; rotate long before that.
 */
export function encrypt(keyring: Keyring, plaintext: Uint8Array, opts: EncryptOptions = {}): Buffer {
  const keyId = keyring.currentKeyId;
  const key = keyring.key(keyId)!;
  const header = Buffer.from(`${ENCRYPTION_PREFIX}${keyId}:`, 'utf8');
  const nonce = Buffer.from((opts.random ?? randomBytes)(NONCE_BYTES));
  if (nonce.length !== NONCE_BYTES) throw new Error(`random source returned ${nonce.length} bytes, expected ${NONCE_BYTES}`);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(additionalData(header, opts.context));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, nonce, body, cipher.getAuthTag()]);
}

/** True when the value carries Orchard's encryption header (values written before encryption was on do not). */
export function isEncrypted(data: Uint8Array): boolean {
  const prefix = Buffer.from(ENCRYPTION_PREFIX, 'utf8');
  return data.length >= prefix.length && Buffer.from(data.subarray(0, prefix.length)).equals(prefix);
}

/** The key id a value was encrypted with; throws MalformedCiphertextError without a header. */
export function keyIdOf(data: Uint8Array): string {
  return parseHeader(Buffer.from(data)).keyId;
}

/** True when the value should be rewritten because it is not under the current key. */
export function needsReencryption(keyring: Keyring, data: Uint8Array): boolean {
  return !isEncrypted(data) || keyIdOf(data) !== keyring.currentKeyId;
}

/**
 * Decrypts a value with the key its header names. Throws UnknownKeyError when the
 * keyring lacks that key, TamperedCiphertextError when authentication fails (wrong key,
 * wrong context or modified bytes), MalformedCiphertextError when it is not an encrypted value.
 */
export function decrypt(keyring: Keyring, data: Uint8Array, opts: { context?: string } = {}): Buffer {
  const buf = Buffer.from(data);
  const { keyId, headerLength } = parseHeader(buf);
  const key = keyring.key(keyId);
  if (!key) throw new UnknownKeyError(keyId, keyring.keyIds);
  if (buf.length < headerLength + NONCE_BYTES + TAG_BYTES) {
    throw new MalformedCiphertextError(`encrypted value is truncated (${buf.length} bytes)`);
  }
  const header = buf.subarray(0, headerLength);
  const nonce = buf.subarray(headerLength, headerLength + NONCE_BYTES);
  const body = buf.subarray(headerLength + NONCE_BYTES, buf.length - TAG_BYTES);
  const tag = buf.subarray(buf.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(additionalData(header, opts.context));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch (cause) {
    throw new TamperedCiphertextError(
      `encrypted value failed authentication with key "${keyId}": the key is wrong or the value was modified`,
      { cause },
    );
  }
}

function parseHeader(buf: Buffer): { keyId: string; headerLength: number } {
  if (!isEncrypted(buf)) throw new MalformedCiphertextError(`value does not start with "${ENCRYPTION_PREFIX}"; it is not encrypted`);
  const start = ENCRYPTION_PREFIX.length;
  const end = buf.indexOf(0x3a /* ':' */, start);
  if (end < 0 || end - start > 32) throw new MalformedCiphertextError('encrypted value has no key id in its header');
  const keyId = buf.subarray(start, end).toString('utf8');
  try {
    checkKeyId(keyId);
  } catch (cause) {
    throw new MalformedCiphertextError('encrypted value has a malformed key id in its header', { cause });
  }
  return { keyId, headerLength: end + 1 };
}

function additionalData(header: Buffer, context: string | undefined): Buffer {
  if (context === undefined) return header;
  // Length-prefix the context so header/context boundaries cannot be shifted.
  const ctx = Buffer.from(context, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(ctx.length);
  return Buffer.concat([header, len, ctx]);
}
