import { randomBytes } from 'node:crypto';

/**
 * A new cluster server secret: 32 random bytes, base64url (43 characters), suitable for a
 * file with mode 0600 that every master of the cluster is given.
 */
export function generateServerSecret(random: (size: number) => Uint8Array = randomBytes): string {
  const bytes = Buffer.from(random(32));
  if (bytes.length !== 32) throw new Error(`random source returned ${bytes.length} bytes, expected 32`);
  return bytes.toString('base64url');
}
