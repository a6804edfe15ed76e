import { createPublicKey } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { cryptoProvider } from './crypto-provider';
import { DAY_MS, type CertifiedKey, type IssueOptions } from './certified-key';
import { describeKey } from './key-pair';
import { issueLeaf } from './issue';
import { ROLE_ORGANIZATION, subjectFor, type Subject } from './identity';
import { CsrRefusedError } from './errors';

/** Node certificates live 90 days and renew after 60 (see needsRenewal). */
export const NODE_CERT_TTL_MS = 90 * DAY_MS;

/** What the caller (the token's usage, or the renewing certificate's identity) allows. */
export interface CsrGrant extends Subject {
  /** Lifetime of the issued certificate. */
  readonly ttlMs: number;
  /** Master certificates also serve TLS: their SANs come from here, never from the CSR. */
  readonly dnsNames?: readonly string[];
  readonly ips?: readonly string[];
}

/** The grant for a join or renewal: `system:node:<name>` in orchard:nodes, or the master equivalent. */
export function joinGrant(usage: 'node' | 'master', name: string, ttlMs = NODE_CERT_TTL_MS): CsrGrant {
  return { ...subjectFor(usage, name), ttlMs };
}

/**
 * Signs a certificate signing request after checking that
 *  - it is a well-formed PKCS#10 request whose self-signature verifies (the requester
 *    holds the private key; the key itself never travels),
 *  - its key is ECDSA P-256,
 *  - it asks for exactly the identity the grant allows (CN and O), so a token for pi1
 *    cannot produce a certificate for pi2 or for an admin.
 * The certificate's subject and SANs are built from the grant; nothing else in the CSR
 * (extensions, attributes) is copied. Throws CsrRefusedError (PERMISSION_DENIED).
 */
export async function signCsr(ca: CertifiedKey, csrPem: string, grant: CsrGrant, opts: IssueOptions = {}): Promise<string> {
  cryptoProvider();
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (cause) {
    throw new CsrRefusedError('certificate signing request is not a valid PEM PKCS#10 request', { cause });
  }
  let signatureOk = false;
  try {
    signatureOk = await csr.verify();
  } catch (cause) {
    throw new CsrRefusedError('certificate signing request signature cannot be checked', { cause });
  }
  if (!signatureOk) {
    throw new CsrRefusedError('certificate signing request signature does not verify: the request was altered or not signed by its own key');
  }

  const key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new CsrRefusedError(`certificate signing request key must be ECDSA P-256, got ${describeKey(key)}`);
  }

  const cns = csr.subjectName.getField('CN');
  const orgs = csr.subjectName.getField('O');
  if (cns.length !== 1 || cns[0] !== grant.commonName || orgs.length !== 1 || orgs[0] !== grant.organization) {
    const asked = `${cns.join('+') || '(no CN)'} in ${orgs.join('+') || '(no O)'}`;
    throw new CsrRefusedError(
      `certificate signing request asks for "${asked}" but may only ask for "${grant.commonName} in ${grant.organization}"`,
    );
  }

  return issueLeaf(
    ca,
    {
      subject: { commonName: grant.commonName, organization: grant.organization },
      publicKey: csr.publicKey,
      ttlMs: grant.ttlMs,
      serverAuth: grant.organization === ROLE_ORGANIZATION.master,
      clientAuth: true,
      dnsNames: grant.dnsNames,
      ips: grant.ips,
    },
    opts,
  );
}
