import { describe, expect, it } from 'vitest';
import { secretKeyring } from '../secrets';
import { encryptingCodec, identityCodec } from './value-codec';

const keyring = secretKeyring('0123456789abcdef0123456789abcdef');
const codec = encryptingCodec(keyring, ['/orchard/registry/secrets/']);
const plain = Buffer.from('password=hunter2');

describe('encryptingCodec', () => {
  it('encrypts values under a secret prefix, bound to their key, and decrypts them', () => {
    const key = '/orchard/registry/secrets/default/db';
    const stored = codec.encode(key, plain);
    expect(stored.toString('latin1')).not.toContain('hunter2');
    expect(stored.subarray(0, 22).toString()).toBe('orchard:enc:aesgcm:v1:');
    expect(codec.decode(key, stored)).toEqual(plain);
    expect(() => codec.decode('/orchard/registry/secrets/default/other', stored)).toThrow(/cannot decrypt \/orchard\/registry\/secrets\/default\/other: encrypted value failed authentication/);
  });

  it('leaves other kinds alone', () => {
    const key = '/orchard/registry/configmaps/default/cfg';
    expect(codec.encode(key, plain)).toEqual(plain);
    expect(codec.decode(key, plain)).toEqual(plain);
  });

  it('reads a Secret stored before encryption was on', () => {
    expect(codec.decode('/orchard/registry/secrets/default/old', plain)).toEqual(plain);
  });

  it('refuses a Secret sealed with another server secret', () => {
    const other = encryptingCodec(secretKeyring('another-server-secret-0123456789'), ['/orchard/registry/secrets/']);
    const key = '/orchard/registry/secrets/default/db';
    expect(() => other.decode(key, codec.encode(key, plain))).toThrow(/cannot decrypt/);
  });

  it('identityCodec changes nothing', () => {
    expect(identityCodec.encode('k', plain)).toBe(plain);
  });
});
