import { describe, expect, it } from 'vitest';
import { createCA } from './ca';
import { CA_ETCD_KEY, openCA, sealCA } from './ca-store';
import { CaUnavailableError } from './errors';

const SECRET = 'a-cluster-server-secret-of-enough-length';

describe('sealCA / openCA', () => {
  it('round-trips through JSON and keeps the private key out of the stored record', async () => {
    const ca = await createCA('orchard-ca');
    const stored = JSON.stringify(sealCA(ca, SECRET));
    expect(stored).not.toContain('PRIVATE KEY');
    expect(Buffer.from(JSON.parse(stored).encryptedKey, 'base64').toString('latin1')).toMatch(/^orchard:enc:aesgcm:v1:ss-[0-9a-f]{12}:/);
    expect(openCA(stored, SECRET)).toEqual(ca);
  });

  it('names the problem when the server secret differs', async () => {
    const sealed = sealCA(await createCA('orchard-ca'), SECRET);
    const err = (() => {
      try {
        openCA(sealed, 'another-server-secret-of-enough-length');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CaUnavailableError);
    expect((err as Error).message).toContain(`the CA stored at ${CA_ETCD_KEY} was sealed with a different server secret`);
  });

  it('detects a modified record', async () => {
    const sealed = sealCA(await createCA('orchard-ca'), SECRET);
    const bytes = Buffer.from(sealed.encryptedKey, 'base64');
    bytes[bytes.length - 1] ^= 1;
    expect(() => openCA({ ...sealed, encryptedKey: bytes.toString('base64') }, SECRET)).toThrow('cannot decrypt the CA key');
  });

  it('detects a certificate swapped for another CA', async () => {
    const sealed = sealCA(await createCA('orchard-ca'), SECRET);
    const other = await createCA('evil-ca');
    expect(() => openCA({ ...sealed, certPem: other.certPem }, SECRET)).toThrow('the private key does not belong to the certificate');
  });

  it.each([
    ['not JSON', '{', 'is not valid JSON'],
    ['an unknown version', JSON.stringify({ version: 2 }), 'has an unknown format'],
  ])('refuses %s', (_name, input, message) => {
    expect(() => openCA(input, SECRET)).toThrow(message);
  });
});
