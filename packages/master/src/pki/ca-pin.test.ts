import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createCA } from './ca';
import { caPin } from './ca-pin';
import { issueServingCert } from './serving-cert';

/** The kubeadm documentation's recipe for --discovery-token-ca-cert-hash. */
function opensslPin(certPem: string): string {
  const hex = execFileSync(
    'sh',
    ['-c', 'openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | sha256sum | cut -d" " -f1'],
    { input: certPem, encoding: 'utf8' },
  ).trim();
  return `sha256:${hex}`;
}

describe('caPin', () => {
  it('equals the openssl recipe kubeadm documents', async () => {
    const ca = await createCA('orchard-ca');
    const pin = caPin(ca.certPem);
    expect(pin).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(pin).toBe(opensslPin(ca.certPem));
  });

  it('differs between CAs and between a CA and its leaf', async () => {
    const a = await createCA('a');
    const b = await createCA('a');
    const leaf = await issueServingCert(a, { masterName: 'm', names: ['m'], ips: [] });
    expect(caPin(a.certPem)).not.toBe(caPin(b.certPem));
    expect(caPin(a.certPem)).not.toBe(caPin(leaf.certPem));
  });

  it('refuses something that is not a certificate', () => {
    expect(() => caPin('not a cert')).toThrow('CA certificate is not a valid PEM certificate');
  });
});
