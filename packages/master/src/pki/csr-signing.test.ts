import { X509Certificate } from 'node:crypto';
import { describe, expect, it, beforeAll } from 'vitest';
import { createCA } from './ca';
import type { CertifiedKey } from './certified-key';
import { joinGrant, NODE_CERT_TTL_MS, signCsr } from './csr-signing';
import { CsrRefusedError } from './errors';
import { identityFromCert } from './identity';
import { makeCsr } from './test-helpers';

const NOW = Date.parse('2026-03-01T12:00:00Z');
let ca: CertifiedKey;
beforeAll(async () => {
  ca = await createCA('orchard-ca', { now: NOW });
});

describe('signCsr', () => {
  it('signs a node CSR: the certificate carries the CSR key and the granted identity', async () => {
    const { csrPem, keys } = await makeCsr([{ CN: ['system:node:pi1'] }, { O: ['orchard:nodes'] }]);
    const certPem = await signCsr(ca, csrPem, joinGrant('node', 'pi1'), { now: NOW });
    const cert = new X509Certificate(certPem);
    const caCert = new X509Certificate(ca.certPem);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(Date.parse(cert.validTo)).toBe(NOW + NODE_CERT_TTL_MS);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    const { webcrypto } = await import('node:crypto');
    const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey));
    expect(cert.publicKey.export({ type: 'spki', format: 'der' }).equals(spki)).toBe(true);
    expect(identityFromCert(certPem)).toEqual({ role: 'node', commonName: 'system:node:pi1', nodeName: 'pi1' });
  });

  it('signs a master CSR as a serving certificate with SANs from the grant only', async () => {
    const { csrPem } = await makeCsr([{ CN: ['system:master:m2'] }, { O: ['orchard:masters'] }]);
    const grant = { ...joinGrant('master', 'm2'), dnsNames: ['m2'], ips: ['192.168.1.12'] };
    const cert = new X509Certificate(await signCsr(ca, csrPem, grant, { now: NOW }));
    expect(cert.checkIP('192.168.1.12')).toBe('192.168.1.12');
    expect(cert.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
  });

  it.each([
    ['another node name', [{ CN: ['system:node:pi2'] }, { O: ['orchard:nodes'] }], '"system:node:pi2 in orchard:nodes" but may only ask for "system:node:pi1 in orchard:nodes"'],
    ['the admin role', [{ CN: ['system:node:pi1'] }, { O: ['orchard:admins'] }], '"system:node:pi1 in orchard:admins"'],
    ['two organizations', [{ CN: ['system:node:pi1'] }, { O: ['orchard:nodes'] }, { O: ['orchard:admins'] }], 'orchard:nodes+orchard:admins'],
    ['no organization', [{ CN: ['system:node:pi1'] }], '"system:node:pi1 in (no O)"'],
    ['a bare host name', [{ CN: ['pi1'] }, { O: ['orchard:nodes'] }], '"pi1 in orchard:nodes"'],
  ])('refuses a node token CSR asking for %s', async (_name, subject, message) => {
    const { csrPem } = await makeCsr(subject as unknown as Parameters<typeof makeCsr>[0]);
    const err = await signCsr(ca, csrPem, joinGrant('node', 'pi1'), { now: NOW }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CsrRefusedError);
    expect((err as Error).message).toContain(message);
  });

  it('refuses a CSR whose signature does not verify (tampered subject)', async () => {
    const { csrPem } = await makeCsr([{ CN: ['system:node:pi1'] }, { O: ['orchard:nodes'] }]);
    // Flip one bit inside the signature at the end of the DER body.
    const der = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 5] ^= 0x01;
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(signCsr(ca, tampered, joinGrant('node', 'pi1'), { now: NOW })).rejects.toThrow(/signature (does not verify|cannot be checked)/);
  });

  it('refuses garbage instead of a CSR', async () => {
    await expect(signCsr(ca, 'hello', joinGrant('node', 'pi1'))).rejects.toThrow('not a valid PEM PKCS#10 request');
  });

  it('refuses a CSR with an RSA key', async () => {
    const { csrPem } = await makeCsr([{ CN: ['system:node:pi1'] }, { O: ['orchard:nodes'] }], {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    });
    await expect(signCsr(ca, csrPem, joinGrant('node', 'pi1'), { now: NOW })).rejects.toThrow('key must be ECDSA P-256, got rsa');
  });

  it('refuses a grant for an invalid node name', () => {
    expect(() => joinGrant('node', 'Pi_1')).toThrow('invalid node name "Pi_1"');
  });
});
