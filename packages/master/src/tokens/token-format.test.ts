import { describe, expect, it } from 'vitest';
import { generateToken, parseToken, TOKEN_PATTERN } from './token-format';
import { TokenFormatError } from './errors';
import { hashSecret, secretMatches } from './token-hash';

describe('generateToken', () => {
  it('produces id.secret in the kubeadm format', () => {
    for (let i = 0; i < 50; i++) expect(generateToken().token).toMatch(TOKEN_PATTERN);
  });

  it('is determined by the injected randomness and skips biased bytes', () => {
    // 252..255 are skipped; 0 → "a", 35 → "9", 36 → "a" again.
    const bytes = [255, 252, 0, 35, 36, 1, 2, 3, ...Array(24).fill(10)];
    const t = generateToken(() => Uint8Array.from(bytes));
    expect(t.id).toBe('a9abcd');
    expect(t.secret).toBe('kkkkkkkkkkkkkkkk');
    expect(t.token).toBe('a9abcd.kkkkkkkkkkkkkkkk');
  });
});

describe('parseToken', () => {
  it.each([
    ['a valid token', 'abcdef.0123456789abcdef', { id: 'abcdef', secret: '0123456789abcdef' }],
    ['surrounding whitespace (pasted)', ' abcdef.0123456789abcdef\n', { id: 'abcdef', secret: '0123456789abcdef' }],
  ])('accepts %s', (_name, input, expected) => {
    expect(parseToken(input)).toEqual(expected);
  });

  it.each([
    ['an empty string', ''],
    ['no dot', 'abcdef0123456789abcdef'],
    ['a short id', 'abcde.0123456789abcdef'],
    ['a short secret', 'abcdef.0123456789abcde'],
    ['upper case', 'ABCDEF.0123456789abcdef'],
    ['a long secret', 'abcdef.0123456789abcdef0'],
    ['punctuation', 'abc-ef.0123456789abcdef'],
  ])('refuses %s without echoing it', (_name, input) => {
    const err = (() => {
      try {
        parseToken(input);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(TokenFormatError);
    expect(err!.message).toBe('token must look like "abcdef.0123456789abcdef": 6 then 16 lowercase letters or digits, joined by a dot');
  });
});

describe('hashSecret', () => {
  it('is sha256 of id.secret and matches only the right secret', () => {
    const h = hashSecret('abcdef', '0123456789abcdef');
    expect(h).toBe('sha256:' + require('node:crypto').createHash('sha256').update('abcdef.0123456789abcdef').digest('hex'));
    expect(secretMatches('abcdef', '0123456789abcdef', h)).toBe(true);
    expect(secretMatches('abcdef', '0123456789abcdee', h)).toBe(false);
    expect(secretMatches('abcdef', '0123456789abcdef', 'sha256:short')).toBe(false);
  });
});
