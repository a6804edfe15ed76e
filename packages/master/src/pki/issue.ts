import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';
import { cryptoProvider, EC_SIGNING_ALGORITHM, type CryptoKey } from './crypto-provider';
import { BACKDATE_MS, type CertifiedKey, type IssueOptions } from './certified-key';
import { importSigningKey, withNewline } from './key-pair';
import { serialNumber, systemRandom } from './random';
import { toJsonName, type Subject } from './identity';

/** What a leaf certificate is for. */
export interface LeafSpec {
  readonly subject: Subject;
  readonly publicKey: x509.PublicKey | CryptoKey;
  readonly ttlMs: number;
  readonly serverAuth: boolean;
  readonly clientAuth: boolean;
  readonly dnsNames?: readonly string[];
  readonly ips?: readonly string[];
}

/**
 * Signs a leaf certificate with the CA. The validity never outlasts the CA's own, so a
 * renewed CA is never needed to keep a leaf valid.
 */
export async function issueLeaf(ca: CertifiedKey, spec: LeafSpec, opts: IssueOptions = {}): Promise<string> {
  cryptoProvider();
  const now = opts.now ?? Date.now();
  if (!(spec.ttlMs > 0)) throw new Error(`certificate lifetime must be positive, got ${spec.ttlMs} ms`);
  const caCert = new x509.X509Certificate(ca.certPem);
  const caNotAfter = caCert.notAfter.getTime();
  if (caNotAfter <= now) throw new Error(`the cluster CA expired at ${caCert.notAfter.toISOString()}`);
  const signingKey = await importSigningKey(ca.keyPem);

  const usages: string[] = [];
  if (spec.serverAuth) usages.push(x509.ExtendedKeyUsage.serverAuth);
  if (spec.clientAuth) usages.push(x509.ExtendedKeyUsage.clientAuth);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    // ECDSA keys sign (TLS handshakes); keyEncipherment applies to RSA only.
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(usages, false),
    await x509.SubjectKeyIdentifierExtension.create(spec.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
  ];
  const altNames = subjectAltNames(spec.dnsNames ?? [], spec.ips ?? []);
  if (altNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(altNames, false));

  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(opts.random ?? systemRandom),
    subject: toJsonName(spec.subject),
    issuer: caCert.subject,
    notBefore: new Date(now - backdateMs(spec.ttlMs)),
    notAfter: new Date(Math.min(now + spec.ttlMs, caNotAfter)),
    signingAlgorithm: EC_SIGNING_ALGORITHM,
    publicKey: spec.publicKey,
    signingKey,
    extensions,
  });
  return withNewline(cert.toString('pem'));
}

/**
 * How far before "now" a certificate starts: BACKDATE_MS (clock skew of a Pi without a
 * real-time clock), but never more than half the lifetime. Renewal starts once a third
 * of the whole validity remains, so a backdate longer than the lifetime itself would make
 * a short-lived certificate (a test, or an operator's choice) due for renewal at once.
 */
export function backdateMs(ttlMs: number): number {
  return Math.min(BACKDATE_MS, Math.floor(ttlMs / 2));
}

function subjectAltNames(dnsNames: readonly string[], ips: readonly string[]): x509.JsonGeneralName[] {
  const out: x509.JsonGeneralName[] = [];
  for (const name of dnsNames) {
    if (!/^(\*\.)?[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*$/.test(name)) {
      throw new Error(`invalid DNS name for a certificate: ${JSON.stringify(name)}`);
    }
    out.push({ type: 'dns', value: name });
  }
  for (const ip of ips) {
    if (isIP(ip) === 0) throw new Error(`invalid IP address for a certificate: ${JSON.stringify(ip)}`);
    out.push({ type: 'ip', value: ip });
  }
  return out;
}

/** Parses a PEM certificate with Node's parser (used for validity and issuer checks). */
export function parseCertificate(certPem: string, what = 'certificate'): NodeX509Certificate {
  try {
    return new NodeX509Certificate(certPem);
  } catch (cause) {
    throw new Error(`${what} is not a valid PEM certificate`, { cause });
  }
}
