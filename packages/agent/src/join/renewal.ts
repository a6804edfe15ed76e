import { X509Certificate } from 'node:crypto';

/**
 * When to renew a certificate: once less than a third of its validity remains (the
 * master uses the same rule, pki/expiry there). A 90-day node certificate renews after
 * 60 days, leaving a month for a node that was switched off.
 */
export function renewalTime(certPem: string): number {
  const cert = new X509Certificate(certPem);
  const notBefore = Date.parse(cert.validFrom);
  const notAfter = Date.parse(cert.validTo);
  return notAfter - Math.floor((notAfter - notBefore) / 3);
}

/** True when less than a third of the certificate's validity remains at `now`. */
export function needsRenewal(certPem: string, now: number): boolean {
  return now >= renewalTime(certPem);
}
