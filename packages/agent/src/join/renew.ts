import { X509Certificate } from 'node:crypto';
import { generateKeyAndCsr } from './csr';
import { loadCredentials, writeCredentials, type Credentials, type CredentialsFs } from './credentials';
import { CredentialsError, JoinError } from './errors';
import { needsRenewal } from './renewal';

/** Sends a renewal CSR over the node's current mutual-TLS connection; implemented over gRPC. */
export type RenewTransport = (req: { readonly current: Credentials; readonly csrPem: string }) => Promise<string>;

/**
 * Renews this node's certificate once less than a third of its validity remains: a new
 * key and CSR for the same name, signed over mutual TLS with the current certificate, then
 * stored in place of the old one. Returns the credentials in use afterwards and whether
 * they were renewed. A failed renewal leaves the current credentials untouched (retry later).
 */
export async function renewIfNeeded(opts: {
  readonly dir: string;
  readonly now: number;
  readonly renew: RenewTransport;
  readonly fs?: CredentialsFs;
}): Promise<{ renewed: boolean; credentials: Credentials }> {
  const current = await loadCredentials(opts.dir, opts.fs);
  if (!current) throw new CredentialsError(`no credentials in ${opts.dir}: join the cluster first (orchard-agent join ...)`);
  if (!needsRenewal(current.certPem, opts.now)) return { renewed: false, credentials: current };

  const cn = /^CN=system:node:(.+)$/m.exec(new X509Certificate(current.certPem).subject)?.[1];
  if (!cn) throw new CredentialsError(`the certificate in ${opts.dir} is not a node certificate`);
  const { keyPem, csrPem } = await generateKeyAndCsr(cn, 'node');
  let certPem: string;
  try {
    certPem = await opts.renew({ current, csrPem });
  } catch (cause) {
    throw new JoinError(`failed to renew the certificate of node ${cn}: ${(cause as Error).message}`, { cause });
  }
  const credentials = { keyPem, certPem, caPem: current.caPem };
  await writeCredentials(opts.dir, credentials, opts.fs);
  return { renewed: true, credentials };
}
