import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The stored form of a token secret: `sha256:<hex>` of "id.secret". A fast hash is
 * enough because the secret is 82 random bits, not a password: nobody can search that
 * space, so a slow KDF would only cost every join CPU time on a Pi.
 */
export function hashSecret(id: string, secret: string): string {
  return 'sha256:' + createHash('sha256').update(`${id}.${secret}`, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(id: string, secret: string, secretHash: string): boolean {
  const a = Buffer.from(hashSecret(id, secret), 'utf8');
  const b = Buffer.from(secretHash, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
