import { webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { JoinError } from './errors';

const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** The subject a joining machine asks for; the master signs only this for the token's usage. */
export function joinSubject(role: 'node' | 'master', name: string): { commonName: string; organization: string } {
  if (name.length === 0 || name.length > 253 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name)) {
    throw new JoinError(
      `invalid ${role} name ${JSON.stringify(name)}: must be lowercase letters, digits, '-' and '.', ` +
        'start and end with a letter or digit (set it with --node-name)',
    );
  }
  return role === 'node'
    ? { commonName: `system:node:${name}`, organization: 'orchard:nodes' }
    : { commonName: `system:master:${name}`, organization: 'orchard:masters' };
}

/**
 * Generates this machine's ECDSA P-256 key pair and a certificate signing request for
 * `system:node:<name>` (or the master equivalent). Only the CSR is sent to the master;
 * the private key stays here and is written by writeCredentials with mode 0600.
 */
export async function generateKeyAndCsr(name: string, role: 'node' | 'master' = 'node'): Promise<{ keyPem: string; csrPem: string }> {
  const subject = joinSubject(role, name);
  // Loaded here, not with the module: a node makes a CSR once when it joins and then once a
  // renewal, and the library (ASN.1 schemas, tsyringe) is about 4 MB the daemon would
  // otherwise hold resident all along.
  const x509: typeof X509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const keys = (await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [subject.commonName] }, { O: [subject.organization] }],
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
  });
  const keyDer = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { keyPem: x509.PemConverter.encode(keyDer, 'PRIVATE KEY') + '\n', csrPem: csr.toString('pem') + '\n' };
}
