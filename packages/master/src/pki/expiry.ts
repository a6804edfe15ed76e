import { X509Certificate } from 'node:crypto';

export interface Validity {
  readonly notBefore: number;
  readonly notAfter: number;
}

/** A certificate's validity period in epoch milliseconds. */
export function certValidity(certPem: string | Buffer): Validity {
  const cert = new X509Certificate(certPem);
  return { notBefore: Date.parse(cert.validFrom), notAfter: Date.parse(cert.validTo) };
}

/**
 * When to renew: once less than a third of the validity remains (kubelet renews at a
 * jittered 70–90 %; a third leaves a node that was offline for a while enough time).
 */
export function renewalTime(certPem: string | Buffer): number {
  const { notBefore, notAfter } = certValidity(certPem);
  return notAfter - Math.floor((notAfter - notBefore) / 3);
}

/** True when less than a third of the certificate's validity remains at `now`. */
export function needsRenewal(certPem: string | Buffer, now: number): boolean {
  return now >= renewalTime(certPem);
}
