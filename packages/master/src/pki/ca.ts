import * as x509 from '@peculiar/x509';
import { cryptoProvider, EC_SIGNING_ALGORITHM } from './crypto-provider';
import { BACKDATE_MS, YEAR_MS, type CertifiedKey, type IssueOptions } from './certified-key';
import { generateKeyPair, privateKeyToPem, withNewline } from './key-pair';
import { serialNumber, systemRandom } from './random';

/** The cluster CA lives ten years: replacing it means re-joining every node. */
export const CA_TTL_MS = 10 * YEAR_MS;

/**
 * Creates the cluster CA: a self-signed ECDSA P-256 certificate that may sign
 * certificates (keyCertSign) and revocation lists (cRLSign), and nothing else.
 * pathLength 0: the CA signs leaves only, never intermediate CAs.
 */
export async function createCA(commonName: string, opts: IssueOptions = {}): Promise<CertifiedKey> {
  if (commonName.trim() === '') throw new Error('CA common name must not be empty');
  cryptoProvider();
  const now = opts.now ?? Date.now();
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(opts.random ?? systemRandom),
    name: [{ CN: [commonName] }, { O: ['orchard'] }],
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + CA_TTL_MS),
    signingAlgorithm: EC_SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: withNewline(cert.toString('pem')), keyPem: await privateKeyToPem(keys.privateKey) };
}
