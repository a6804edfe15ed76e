import { YEAR_MS, type CertifiedKey, type IssueOptions } from './certified-key';
import { generateKeyPair, privateKeyToPem } from './key-pair';
import { issueLeaf } from './issue';
import { subjectFor } from './identity';

export interface ServingCertRequest {
  /** The master's name (its certificate's CN is system:master:<name>). */
  readonly masterName: string;
  /** DNS names clients may dial, e.g. the hostname, "localhost". */
  readonly names: readonly string[];
  /** IP addresses clients may dial, e.g. the LAN address, "127.0.0.1". */
  readonly ips: readonly string[];
  /** Defaults to one year. */
  readonly ttlMs?: number;
}

/**
 * Issues a master's TLS certificate: SANs for its names and addresses, usable as server
 * (the API) and as client (one master dialing another) under the master role.
 */
export async function issueServingCert(ca: CertifiedKey, req: ServingCertRequest, opts: IssueOptions = {}): Promise<CertifiedKey> {
  if (req.names.length + req.ips.length === 0) {
    throw new Error('a serving certificate needs at least one DNS name or IP address');
  }
  const keys = await generateKeyPair();
  const certPem = await issueLeaf(
    ca,
    {
      subject: subjectFor('master', req.masterName),
      publicKey: keys.publicKey,
      ttlMs: req.ttlMs ?? YEAR_MS,
      serverAuth: true,
      clientAuth: true,
      dnsNames: req.names,
      ips: req.ips,
    },
    opts,
  );
  return { certPem, keyPem: await privateKeyToPem(keys.privateKey) };
}
