import { describe, expect, it } from 'vitest';
import { createCA } from './ca';
import { DAY_MS } from './certified-key';
import { issueClientCert } from './client-cert';
import { certValidity, needsRenewal, renewalTime } from './expiry';

const NOW = Date.parse('2026-03-01T12:00:00Z');

describe('needsRenewal', async () => {
  const ca = await createCA('orchard-ca', { now: NOW });
  // 90-day certificate, backdated 5 minutes: renewal once less than 30 days (+ 100 s) remain.
  const { certPem } = await issueClientCert(ca, { role: 'admin', user: 'admin', ttlMs: 90 * DAY_MS }, { now: NOW });
  const { notBefore, notAfter } = certValidity(certPem);

  it('places the renewal point at two thirds of the validity', () => {
    expect(renewalTime(certPem)).toBe(notAfter - Math.floor((notAfter - notBefore) / 3));
  });

  it.each([
    ['just issued', NOW, false],
    ['half way', NOW + 45 * DAY_MS, false],
    ['one second before two thirds', notBefore + Math.ceil(((notAfter - notBefore) * 2) / 3) - 1000, false],
    ['at two thirds', notBefore + Math.ceil(((notAfter - notBefore) * 2) / 3), true],
    ['one day left', notAfter - DAY_MS, true],
    ['expired', notAfter + 1, true],
  ])('%s → %s', (_name, now, expected) => {
    expect(needsRenewal(certPem, now)).toBe(expected);
  });
});
