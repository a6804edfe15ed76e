import { X509Certificate } from 'node:crypto';
import { describe, expect, it, beforeAll } from 'vitest';
import * as x509 from '@peculiar/x509';
import { createCA } from './ca';
import type { CertifiedKey } from './certified-key';
import { issueClientCert } from './client-cert';
import { CertificateIdentityError } from './errors';
import { identityFromCert } from './identity';
import { cryptoProvider, EC_SIGNING_ALGORITHM } from './crypto-provider';
import { generateKeyPair } from './key-pair';
import { importSigningKey } from './key-pair';

const NOW = Date.parse('2026-03-01T12:00:00Z');
let ca: CertifiedKey;
beforeAll(async () => {
  ca = await createCA('orchard-ca', { now: NOW });
});

/** Signs an arbitrary subject with the CA, bypassing the subject rules, to test parsing. */
async function certWithSubject(name: x509.JsonName): Promise<string> {
  cryptoProvider();
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.create({
    subject: name,
    issuer: new x509.X509Certificate(ca.certPem).subject,
    notBefore: new Date(NOW),
    notAfter: new Date(NOW + 3_600_000),
    publicKey: keys.publicKey,
    signingKey: await importSigningKey(ca.keyPem),
    signingAlgorithm: EC_SIGNING_ALGORITHM,
  });
  return cert.toString('pem');
}

describe('identityFromCert', () => {
  it.each([
    ['node', [{ CN: ['system:node:pi1'] }, { O: ['orchard:nodes'] }], { role: 'node', commonName: 'system:node:pi1', nodeName: 'pi1' }],
    ['master', [{ CN: ['system:master:m1'] }, { O: ['orchard:masters'] }], { role: 'master', commonName: 'system:master:m1', masterName: 'm1' }],
    ['admin', [{ CN: ['alice'] }, { O: ['orchard:admins'] }], { role: 'admin', commonName: 'alice' }],
    ['viewer', [{ CN: ['grafana'] }, { O: ['orchard:viewers'] }], { role: 'viewer', commonName: 'grafana' }],
  ])('maps a %s certificate', async (_name, subject, identity) => {
    expect(identityFromCert(await certWithSubject(subject as unknown as x509.JsonName))).toEqual(identity);
  });

  it.each([
    ['an unknown organization', [{ CN: ['alice'] }, { O: ['system:masters'] }], 'unknown organization "system:masters"'],
    ['two organizations', [{ CN: ['alice'] }, { O: ['orchard:viewers'] }, { O: ['orchard:admins'] }], 'exactly one organization (its role), has 2'],
    ['no organization', [{ CN: ['alice'] }], 'exactly one organization (its role), has 0'],
    ['a node CN without prefix', [{ CN: ['pi1'] }, { O: ['orchard:nodes'] }], 'must start with "system:node:"'],
    ['a node CN with an invalid name', [{ CN: ['system:node:PI_1'] }, { O: ['orchard:nodes'] }], 'invalid node name "PI_1"'],
    ['no common name', [{ O: ['orchard:admins'] }], 'exactly one common name, has 0'],
  ])('refuses %s', async (_name, subject, message) => {
    const pem = await certWithSubject(subject as unknown as x509.JsonName);
    const err = (() => {
      try {
        identityFromCert(pem);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CertificateIdentityError);
    expect((err as Error).message).toContain(message);
  });

  it('accepts DER, a Node X509Certificate and a TLS peer certificate alike', async () => {
    const { certPem } = await issueClientCert(ca, { role: 'admin', user: 'admin' }, { now: NOW });
    const node = new X509Certificate(certPem);
    const expected = { role: 'admin', commonName: 'admin' };
    expect(identityFromCert(node.raw)).toEqual(expected);
    expect(identityFromCert(node)).toEqual(expected);
    expect(identityFromCert({ raw: node.raw })).toEqual(expected);
  });

  it.each([
    ['undefined', undefined],
    ['an empty peer certificate (no client certificate sent)', {} as { raw: Buffer }],
  ])('refuses %s as unauthenticated', (_name, input) => {
    expect(() => identityFromCert(input)).toThrow('no client certificate signed by the cluster CA was presented');
  });

  it('with caCertPem, refuses a certificate from another CA', async () => {
    const other = await createCA('other-ca', { now: NOW });
    const { certPem } = await issueClientCert(other, { role: 'admin', user: 'admin' }, { now: NOW });
    expect(() => identityFromCert(certPem, { caCertPem: ca.certPem, now: NOW })).toThrow("was not issued by this cluster's CA");
  });

  it('with caCertPem, refuses an expired certificate', async () => {
    const { certPem } = await issueClientCert(ca, { role: 'admin', user: 'admin', ttlMs: 3_600_000 }, { now: NOW });
    expect(identityFromCert(certPem, { caCertPem: ca.certPem, now: NOW })).toEqual({ role: 'admin', commonName: 'admin' });
    expect(() => identityFromCert(certPem, { caCertPem: ca.certPem, now: NOW + 2 * 3_600_000 })).toThrow('is not valid now');
  });
});
