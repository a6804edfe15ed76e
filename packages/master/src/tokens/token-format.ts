import { randomBytes } from 'node:crypto';
import { TokenFormatError } from './errors';

/** `id.secret`, the kubeadm bootstrap token format. The id is public (it names the token), the secret is not. */
export const TOKEN_PATTERN = /^([a-z0-9]{6})\.([a-z0-9]{16})$/;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export interface ParsedToken {
  readonly id: string;
  readonly secret: string;
}

/** Parses `id.secret`; throws TokenFormatError (without echoing the input, it may be a secret). */
export function parseToken(token: string): ParsedToken {
  const m = TOKEN_PATTERN.exec(typeof token === 'string' ? token.trim() : '');
  if (!m) throw new TokenFormatError();
  return { id: m[1]!, secret: m[2]! };
}

/**
 * A new token from the injected randomness. Bytes at or above 252 (7 × 36) are skipped so
 * every character is equally likely; the secret carries 16 × log2(36) ≈ 82 bits.
 */
export function generateToken(random: (size: number) => Uint8Array = randomBytes): ParsedToken & { token: string } {
  const chars: string[] = [];
  while (chars.length < 22) {
    for (const b of random(32)) {
      if (b < 252 && chars.length < 22) chars.push(ALPHABET[b % 36]!);
    }
  }
  const id = chars.slice(0, 6).join('');
  const secret = chars.slice(6).join('');
  return { id, secret, token: `${id}.${secret}` };
}
