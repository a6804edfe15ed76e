import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { authorize } from '../auth/authorize';
import { createCA } from './ca';
import type { CertifiedKey } from './certified-key';
import { DAY_MS, YEAR_MS } from './certified-key';
import { renewalTime } from './expiry';
import { identityFromCert } from './identity';
import { makeCsr } from './test-helpers';
import { signUserCredentials } from './user-credentials';

const NOW = Date.parse('2026-11-25T12:00:00Z');
let ca: CertifiedKey;
beforeAll(async () => {
  ca = await createCA('orchard-ca', { now: NOW });
});

describe('signUserCredentials', () => {
  it('signs a viewer certificate the auth guard reads as a read-only viewer', async () => {
    const { csrPem } = await makeCsr([{ CN: ['grafana'] }, { O: ['orchard:viewers'] }]);
    const certPem = await signUserCredentials(ca, { name: 'grafana', role: 'viewer', csrPem, ttlMs: 0 }, { now: NOW });
    const who = identityFromCert(certPem, { caCertPem: ca.certPem, now: NOW });
    expect(who).toEqual({ role: 'viewer', commonName: 'grafana' });
    expect(Date.parse(new X509Certificate(certPem).validTo)).toBe(NOW + YEAR_MS);
    expect(() => authorize(who, 'ClusterService/List', { kind: 'pods' })).not.toThrow();
    expect(() => authorize(who, 'ClusterService/List', { kind: 'secrets' })).toThrow(/may not read secrets/);
    expect(() => authorize(who, 'ClusterService/CreateCredentials')).toThrow(/viewer "grafana" may not call ClusterService\/CreateCredentials/);
  });

  it('signs an admin certificate with the lifetime asked for', async () => {
    const { csrPem } = await makeCsr([{ CN: ['alice@example.org'] }, { O: ['orchard:admins'] }]);
    const certPem = await signUserCredentials(ca, { name: 'alice@example.org', role: 'admin', csrPem, ttlMs: 30 * DAY_MS }, { now: NOW });
    expect(identityFromCert(certPem)).toEqual({ role: 'admin', commonName: 'alice@example.org' });
    expect(Date.parse(new X509Certificate(certPem).validTo)).toBe(NOW + 30 * DAY_MS);
  });

  const refusals: Array<{ name: string; req: { name: string; role: string; subject: [string, string]; ttlMs?: number }; error: RegExp; code: number }> = [
    { name: 'an unknown role', req: { name: 'grafana', role: 'operator', subject: ['grafana', 'orchard:viewers'] }, error: /^role: must be one of admin, viewer, got "operator"$/, code: 3 },
    { name: 'a node role (nodes join with tokens)', req: { name: 'pi1', role: 'node', subject: ['system:node:pi1', 'orchard:nodes'] }, error: /^role: must be one of admin, viewer/, code: 3 },
    { name: 'a name with a space', req: { name: 'bad name', role: 'viewer', subject: ['bad name', 'orchard:viewers'] }, error: /^name: invalid user name "bad name"/, code: 3 },
    { name: 'an empty name', req: { name: '', role: 'viewer', subject: ['x', 'orchard:viewers'] }, error: /^name: invalid user name ""/, code: 3 },
    { name: 'a lifetime over ten years', req: { name: 'grafana', role: 'viewer', subject: ['grafana', 'orchard:viewers'], ttlMs: 11 * YEAR_MS }, error: /^ttl: must be at most 87600h/, code: 3 },
    { name: 'a CSR asking for admin under a viewer request', req: { name: 'grafana', role: 'viewer', subject: ['grafana', 'orchard:admins'] }, error: /asks for "grafana in orchard:admins" but may only ask for "grafana in orchard:viewers"/, code: 7 },
    { name: 'a CSR for another user', req: { name: 'grafana', role: 'viewer', subject: ['root', 'orchard:viewers'] }, error: /asks for "root in orchard:viewers"/, code: 7 },
  ];
  for (const tc of refusals) {
    it(`refuses ${tc.name}`, async () => {
      const { csrPem } = await makeCsr([{ CN: [tc.req.subject[0]] }, { O: [tc.req.subject[1]] }]);
      const err = await signUserCredentials(ca, { name: tc.req.name, role: tc.req.role, csrPem, ttlMs: tc.req.ttlMs ?? 0 }, { now: NOW }).then(
        () => undefined,
        (e: unknown) => e as Error & { code: number },
      );
      expect(err?.message).toMatch(tc.error);
      expect(err?.code).toBe(tc.code);
    });
  }

  it('refuses a request that is not a CSR', async () => {
    await expect(signUserCredentials(ca, { name: 'grafana', role: 'viewer', csrPem: 'hello', ttlMs: 0 }, { now: NOW })).rejects.toThrow(/not a valid PEM PKCS#10 request/);
  });
});

describe('short-lived certificates', () => {
  it('are backdated by at most half their lifetime, so renewal falls due after a third of it, not at once', async () => {
    const { csrPem } = await makeCsr([{ CN: ['grafana'] }, { O: ['orchard:viewers'] }]);
    const certPem = await signUserCredentials(ca, { name: 'grafana', role: 'viewer', csrPem, ttlMs: 30_000 }, { now: NOW });
    const cert = new X509Certificate(certPem);
    expect(Date.parse(cert.validFrom)).toBe(NOW - 15_000);
    expect(Date.parse(cert.validTo)).toBe(NOW + 30_000);
    expect(renewalTime(certPem)).toBe(NOW + 15_000);
  });

  it('keep the full clock-skew backdate when they live long', async () => {
    const { csrPem } = await makeCsr([{ CN: ['grafana'] }, { O: ['orchard:viewers'] }]);
    const certPem = await signUserCredentials(ca, { name: 'grafana', role: 'viewer', csrPem, ttlMs: DAY_MS }, { now: NOW });
    expect(Date.parse(new X509Certificate(certPem).validFrom)).toBe(NOW - 5 * 60_000);
  });
});
