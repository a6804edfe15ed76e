import { describe, expect, it } from 'vitest';
import { DERIVED_KEY_ID, secretKeyring } from './default-keyring';
import { decrypt, encrypt, keyIdOf } from './envelope';

const SECRET = 'cluster-server-secret-0123456789';
const k2 = Buffer.alloc(32, 2).toString('base64');

describe('secretKeyring', () => {
  it('encrypts with the key derived from the server secret when nothing is configured', () => {
    const ring = secretKeyring(SECRET);
    const data = encrypt(ring, Buffer.from('s3cret'), { context: '/orchard/registry/secrets/default/db' });
    expect(keyIdOf(data)).toBe(DERIVED_KEY_ID);
    expect(decrypt(secretKeyring(SECRET), data, { context: '/orchard/registry/secrets/default/db' }).toString()).toBe('s3cret');
  });

  it('rotates to a configured key and still reads values under the derived key', () => {
    const old = encrypt(secretKeyring(SECRET), Buffer.from('old'));
    const ring = secretKeyring(SECRET, { current: 'k2', keys: { k2 } });
    expect(ring.currentKeyId).toBe('k2');
    expect(decrypt(ring, old).toString()).toBe('old');
    expect(keyIdOf(encrypt(ring, Buffer.from('new')))).toBe('k2');
  });

  it('reserves the derived key id', () => {
    expect(() => secretKeyring(SECRET, { current: DERIVED_KEY_ID, keys: { [DERIVED_KEY_ID]: k2 } })).toThrow('is reserved');
  });

  it('gives a different key for a different server secret', () => {
    const data = encrypt(secretKeyring(SECRET), Buffer.from('x'));
    expect(() => decrypt(secretKeyring(SECRET + '!'), data)).toThrow('failed authentication');
  });
});
