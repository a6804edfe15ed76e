import { YEAR_MS, type CertifiedKey, type IssueOptions } from './certified-key';
import { generateKeyPair, privateKeyToPem } from './key-pair';
import { issueLeaf } from './issue';
import { subjectFor } from './identity';

export interface ClientCertRequest {
  /** "admin" for the cluster owner's credentials, "viewer" for dashboards and monitoring. */
  readonly role: 'admin' | 'viewer';
  /** The user name (the certificate's CN), e.g. "admin". */
  readonly user: string;
  /** Defaults to one year. */
  readonly ttlMs?: number;
}

/**
 * Issues a client certificate with a fresh key for a person or tool (the admin
 * credentials file the master writes, or a viewer for monitoring). The key is generated
 * here because the master writes both halves to the credentials file.
 */
export async function issueClientCert(ca: CertifiedKey, req: ClientCertRequest, opts: IssueOptions = {}): Promise<CertifiedKey> {
  const keys = await generateKeyPair();
  const certPem = await issueLeaf(
    ca,
    {
      subject: subjectFor(req.role, req.user),
      publicKey: keys.publicKey,
      ttlMs: req.ttlMs ?? YEAR_MS,
      serverAuth: false,
      clientAuth: true,
    },
    opts,
  );
  return { certPem, keyPem: await privateKeyToPem(keys.privateKey) };
}
