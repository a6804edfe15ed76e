import { hkdfSync } from 'node:crypto';

/** Fixed HKDF salt: separates Orchard's derivations from any other use of the same secret. */
const SALT = Buffer.from('orchard/v1', 'utf8');

/** Purposes in use, so no two features derive the same key by accident. */
export const KEY_PURPOSE = {
  /** Encrypts the CA private key (and other bootstrap material) stored in etcd. */
  caKey: 'orchard ca key encryption',
  /** The default key for Secret data at rest when no keys are configured. */
  secretData: 'orchard secret data encryption',
} as const;

/**
 * Derives a 32-byte key for one purpose from the cluster's server secret
 * (HKDF-SHA256, RFC 5869). Different purposes give unrelated keys, so the secret itself is
 * never used directly as a key.
 */
export function deriveKey(serverSecret: string | Uint8Array, purpose: string, length = 32): Buffer {
  const secret = typeof serverSecret === 'string' ? Buffer.from(serverSecret, 'utf8') : Buffer.from(serverSecret);
  if (secret.length < 16) throw new Error(`server secret is too short (${secret.length} bytes); it must have at least 16`);
  if (purpose === '') throw new Error('key derivation purpose must not be empty');
  return Buffer.from(hkdfSync('sha256', secret, SALT, Buffer.from(purpose, 'utf8'), length));
}
