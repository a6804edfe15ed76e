import { createHash, X509Certificate } from 'node:crypto';
import { JoinError } from './errors';

/**
 * `sha256:<hex>` of the CA certificate's DER SubjectPublicKeyInfo: kubeadm's
 * --discovery-token-ca-cert-hash, the same value the master prints (pki/ca-pin there).
 */
export function caPin(caCertPem: string): string {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(caCertPem);
  } catch (cause) {
    throw new JoinError('the cluster CA certificate is not a valid PEM certificate', { cause });
  }
  return `sha256:${createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('hex')}`;
}

/** Validates and normalizes a --discovery-token-ca-cert-hash value (hex is case-insensitive). */
export function parseCaPin(pin: string): string {
  const m = /^sha256:([0-9a-fA-F]{64})$/.exec(pin.trim());
  if (!m) {
    throw new JoinError(
      `--discovery-token-ca-cert-hash must be "sha256:" followed by 64 hex digits, got ${JSON.stringify(pin)}`,
    );
  }
  return `sha256:${m[1]!.toLowerCase()}`;
}
