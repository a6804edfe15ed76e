import { describe, expect, it } from 'vitest';
import { decrypt, encrypt, ENCRYPTION_PREFIX, isEncrypted, keyIdOf, needsReencryption } from './envelope';
import { createKeyring, generateKey, keyringFromConfig } from './keyring';
import { MalformedCiphertextError, TamperedCiphertextError, UnknownKeyError } from './errors';

const k1 = Buffer.alloc(32, 1);
const k2 = Buffer.alloc(32, 2);
const fixedNonce = (size: number) => new Uint8Array(size).fill(7);
const plaintext = Buffer.from('{"data":{"password":"hunter2"}}');

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('encrypt / decrypt', () => {
  it('round-trips and writes the documented layout', () => {
    const ring = createKeyring('k1', { k1 });
    const data = encrypt(ring, plaintext, { random: fixedNonce });
    const header = `${ENCRYPTION_PREFIX}k1:`;
    expect(data.subarray(0, header.length).toString()).toBe(header);
    expect(data.subarray(header.length, header.length + 12)).toEqual(Buffer.alloc(12, 7));
    expect(data.length).toBe(header.length + 12 + plaintext.length + 16);
    expect(data.includes(Buffer.from('hunter2'))).toBe(false);
    expect(decrypt(ring, data)).toEqual(plaintext);
  });

  it('uses a fresh nonce per value', () => {
    const ring = createKeyring('k1', { k1 });
    expect(encrypt(ring, plaintext).equals(encrypt(ring, plaintext))).toBe(false);
  });

  it('round-trips an empty value', () => {
    const ring = createKeyring('k1', { k1 });
    expect(decrypt(ring, encrypt(ring, Buffer.alloc(0)))).toEqual(Buffer.alloc(0));
  });

  it('supports rotation: old values stay readable and are flagged for rewriting', () => {
    const before = createKeyring('k1', { k1 });
    const old = encrypt(before, plaintext);
    const after = createKeyring('k2', { k1, k2 });
    expect(decrypt(after, old)).toEqual(plaintext);
    expect(keyIdOf(old)).toBe('k1');
    expect(needsReencryption(after, old)).toBe(true);
    const rewritten = encrypt(after, decrypt(after, old));
    expect(keyIdOf(rewritten)).toBe('k2');
    expect(needsReencryption(after, rewritten)).toBe(false);
    expect(needsReencryption(after, plaintext)).toBe(true);
  });

  it('binds the context: a value moved to another key does not decrypt', () => {
    const ring = createKeyring('k1', { k1 });
    const data = encrypt(ring, plaintext, { context: '/orchard/registry/secrets/default/a' });
    expect(decrypt(ring, data, { context: '/orchard/registry/secrets/default/a' })).toEqual(plaintext);
    expect(thrown(() => decrypt(ring, data, { context: '/orchard/registry/secrets/default/b' }))).toBeInstanceOf(TamperedCiphertextError);
    expect(thrown(() => decrypt(ring, data))).toBeInstanceOf(TamperedCiphertextError);
  });

  const ring = createKeyring('k1', { k1 });
  const good = encrypt(ring, plaintext);
  const flip = (i: number) => {
    const b = Buffer.from(good);
    b[i] ^= 1;
    return b;
  };
  it.each([
    ['a flipped ciphertext byte', flip(good.length - 20), TamperedCiphertextError, 'the key is wrong or the value was modified'],
    ['a flipped tag byte', flip(good.length - 1), TamperedCiphertextError, 'failed authentication with key "k1"'],
    ['a flipped nonce byte', flip(ENCRYPTION_PREFIX.length + 4), TamperedCiphertextError, 'failed authentication'],
    ['a truncated value', good.subarray(0, ENCRYPTION_PREFIX.length + 3 + 20), MalformedCiphertextError, 'is truncated'],
    ['plaintext', plaintext, MalformedCiphertextError, 'it is not encrypted'],
    ['a header without key id end', Buffer.from(ENCRYPTION_PREFIX + 'k'.repeat(40)), MalformedCiphertextError, 'no key id'],
    ['a malformed key id', Buffer.from(ENCRYPTION_PREFIX + 'k 1:' + 'x'.repeat(40)), MalformedCiphertextError, 'malformed key id'],
    ['an unknown key id', Buffer.from(ENCRYPTION_PREFIX + 'k9:' + 'x'.repeat(40)), UnknownKeyError, 'add the old key back'],
  ])('detects %s', (_name, data, type, message) => {
    const err = thrown(() => decrypt(ring, data));
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toContain(message);
  });

  it('detects a wrong key under the right id', () => {
    const wrong = createKeyring('k1', { k1: k2 });
    expect(thrown(() => decrypt(wrong, good))).toBeInstanceOf(TamperedCiphertextError);
  });

  it('isEncrypted tells encrypted values from legacy plaintext', () => {
    expect(isEncrypted(good)).toBe(true);
    expect(isEncrypted(plaintext)).toBe(false);
    expect(isEncrypted(Buffer.alloc(0))).toBe(false);
  });
});

describe('keyring', () => {
  it.each([
    ['a short key', () => createKeyring('k1', { k1: Buffer.alloc(16) }), 'encryption key "k1" must be 32 bytes, got 16'],
    ['a missing current key', () => createKeyring('k3', { k1 }), 'current encryption key "k3" is not among the keys (k1)'],
    ['a key id with a colon', () => createKeyring('a:b', { 'a:b': k1 }), 'invalid encryption key id "a:b"'],
    ['non-base64 config', () => keyringFromConfig({ current: 'k1', keys: { k1: 'not base64!' } }), 'encryption key "k1" must be base64'],
  ])('refuses %s', (_name, fn, message) => {
    expect(fn).toThrow(message);
  });

  it('reads the configuration form', () => {
    const ring = keyringFromConfig({ current: 'k2', keys: { k1: k1.toString('base64'), k2: k2.toString('base64') } });
    expect(ring.currentKeyId).toBe('k2');
    expect(ring.keyIds).toEqual(['k1', 'k2']);
    expect(ring.key('k1')).toEqual(k1);
  });

  it('generates keys from the injected randomness', () => {
    expect(generateKey((n) => new Uint8Array(n).fill(9))).toEqual(Buffer.alloc(32, 9));
  });
});
