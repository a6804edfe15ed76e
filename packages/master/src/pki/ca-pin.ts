import { createHash, X509Certificate } from 'node:crypto';

/**
 * The CA pin a joining machine checks before trusting anything: `sha256:` and the hex
 * SHA-256 of the CA certificate's DER SubjectPublicKeyInfo. This is exactly kubeadm's
 * --discovery-token-ca-cert-hash, so it can be computed with
 * `openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | sha256sum`.
 * It pins the key rather than the certificate, so a re-issued CA with the same key keeps
 * the pin.
 */
export function caPin(caCertPem: string): string {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(caCertPem);
  } catch (cause) {
    throw new Error('CA certificate is not a valid PEM certificate', { cause });
  }
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}
