import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { describe, expect, it } from 'vitest';
import { createCA, CA_TTL_MS } from './ca';
import { issueServingCert } from './serving-cert';
import { issueClientCert } from './client-cert';
import { BACKDATE_MS, YEAR_MS } from './certified-key';
import { identityFromCert } from './identity';
import { countingRandom } from './test-helpers';

const NOW = Date.parse('2026-03-01T12:00:00Z');

describe('createCA', () => {
  it('creates a self-signed ten-year CA that may only sign certificates and CRLs', async () => {
    const ca = await createCA('orchard-ca', { now: NOW, random: countingRandom() });
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.subject).toContain('CN=orchard-ca');
    expect(Date.parse(cert.validFrom)).toBe(NOW - BACKDATE_MS);
    expect(Date.parse(cert.validTo)).toBe(NOW + CA_TTL_MS);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');

    const parsed = new x509.X509Certificate(ca.certPem);
    const bc = parsed.getExtension(x509.BasicConstraintsExtension)!;
    expect(bc.ca).toBe(true);
    expect(bc.critical).toBe(true);
    const ku = parsed.getExtension(x509.KeyUsagesExtension)!;
    expect(ku.usages & x509.KeyUsageFlags.keyCertSign).toBeTruthy();
    expect(ku.usages & x509.KeyUsageFlags.cRLSign).toBeTruthy();
    expect(ca.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('uses the injected randomness for the serial number', async () => {
    const a = await createCA('a', { now: NOW, random: countingRandom() });
    const b = await createCA('b', { now: NOW, random: countingRandom() });
    expect(new X509Certificate(a.certPem).serialNumber).toBe(new X509Certificate(b.certPem).serialNumber);
  });

  it('refuses an empty common name', async () => {
    await expect(createCA('  ')).rejects.toThrow('CA common name must not be empty');
  });
});

describe('issueServingCert', () => {
  it('issues a one-year server+client certificate with the master names and addresses as SANs', async () => {
    const ca = await createCA('orchard-ca', { now: NOW });
    const serving = await issueServingCert(
      ca,
      { masterName: 'pi-master', names: ['pi-master', 'localhost'], ips: ['192.168.1.10', '127.0.0.1', '::1'] },
      { now: NOW },
    );
    const cert = new X509Certificate(serving.certPem);
    const caCert = new X509Certificate(ca.certPem);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.ca).toBe(false);
    expect(Date.parse(cert.validTo)).toBe(NOW + YEAR_MS);
    expect(cert.checkHost('pi-master')).toBe('pi-master');
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('192.168.1.10')).toBe('192.168.1.10');
    expect(cert.checkIP('::1')).toBe('::1');
    expect(cert.checkHost('evil.example')).toBeUndefined();
    expect(cert.keyUsage).toEqual(expect.arrayContaining(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']));
    expect(identityFromCert(serving.certPem)).toEqual({ role: 'master', commonName: 'system:master:pi-master', masterName: 'pi-master' });
  });

  it.each([
    ['no names at all', { names: [], ips: [] }, 'at least one DNS name or IP address'],
    ['a malformed IP', { names: [], ips: ['300.1.1.1'] }, 'invalid IP address for a certificate: "300.1.1.1"'],
    ['a malformed DNS name', { names: ['bad name'], ips: [] }, 'invalid DNS name for a certificate: "bad name"'],
  ])('refuses %s', async (_name, req, message) => {
    const ca = await createCA('orchard-ca', { now: NOW });
    await expect(issueServingCert(ca, { masterName: 'm1', ...req }, { now: NOW })).rejects.toThrow(message);
  });

  it('never outlasts the CA', async () => {
    const ca = await createCA('orchard-ca', { now: NOW });
    const late = NOW + CA_TTL_MS - 30 * 24 * 3_600_000;
    const serving = await issueServingCert(ca, { masterName: 'm1', names: ['m1'], ips: [] }, { now: late });
    expect(Date.parse(new X509Certificate(serving.certPem).validTo)).toBe(NOW + CA_TTL_MS);
  });

  it('refuses to issue once the CA has expired', async () => {
    const ca = await createCA('orchard-ca', { now: NOW });
    await expect(issueServingCert(ca, { masterName: 'm1', names: ['m1'], ips: [] }, { now: NOW + CA_TTL_MS + 1 })).rejects.toThrow(
      'the cluster CA expired',
    );
  });
});

describe('issueClientCert', () => {
  it.each([
    ['admin', 'admin', 'orchard:admins'],
    ['viewer', 'grafana', 'orchard:viewers'],
  ] as const)('issues a client-only %s certificate', async (role, user, org) => {
    const ca = await createCA('orchard-ca', { now: NOW });
    const client = await issueClientCert(ca, { role, user }, { now: NOW });
    const cert = new X509Certificate(client.certPem);
    expect(cert.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(cert.subject).toBe(`CN=${user}\nO=${org}`);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(identityFromCert(client.certPem)).toEqual({ role, commonName: user });
  });

  it('refuses a user name with characters that would confuse logs', async () => {
    const ca = await createCA('orchard-ca', { now: NOW });
    await expect(issueClientCert(ca, { role: 'admin', user: 'ad min,O=x' })).rejects.toThrow('invalid user name "ad min,O=x"');
  });
});
