import { hkdfSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveKey, KEY_PURPOSE } from './derive-key';
import { generateServerSecret } from './server-secret';

const SECRET = 'cluster-server-secret-0123456789';

describe('deriveKey', () => {
  it('is HKDF-SHA256 with the orchard salt and the purpose as info', () => {
    const expected = Buffer.from(hkdfSync('sha256', SECRET, 'orchard/v1', KEY_PURPOSE.caKey, 32));
    expect(deriveKey(SECRET, KEY_PURPOSE.caKey)).toEqual(expected);
  });

  it('is stable, and differs by purpose and by secret', () => {
    expect(deriveKey(SECRET, 'a')).toEqual(deriveKey(SECRET, 'a'));
    expect(deriveKey(SECRET, 'a')).not.toEqual(deriveKey(SECRET, 'b'));
    expect(deriveKey(SECRET, 'a')).not.toEqual(deriveKey(SECRET + 'x', 'a'));
    expect(deriveKey(SECRET, 'a')).toHaveLength(32);
  });

  it.each([
    ['a short secret', () => deriveKey('short', 'a'), 'server secret is too short (5 bytes)'],
    ['an empty purpose', () => deriveKey(SECRET, ''), 'purpose must not be empty'],
  ])('refuses %s', (_name, fn, message) => {
    expect(fn).toThrow(message);
  });
});

describe('generateServerSecret', () => {
  it('is 32 random bytes in base64url', () => {
    const s = generateServerSecret((n) => new Uint8Array(n).fill(255));
    expect(s).toBe(Buffer.alloc(32, 255).toString('base64url'));
    expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
