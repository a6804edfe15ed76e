import { X509Certificate } from 'node:crypto';
import { fetchCaFromServer } from './fetch-ca';
import { fetchAndPinCA } from './pinned-ca';
import { parseCaPin } from './ca-pin';
import { generateKeyAndCsr, joinSubject } from './csr';
import { loadCredentials, writeCredentials, type Credentials, type CredentialsFs } from './credentials';
import { JoinError } from './errors';

/** Sends a join request to the master; implemented by the agent over gRPC. */
export interface JoinTransport {
  /**
   * Sends the token and CSR to `server` over TLS that trusts only `caPem` (already
   * pinned), and returns the signed certificate (PEM). Rejects with the master's error.
   */
  requestCertificate(req: {
    readonly server: ServerAddress;
    readonly caPem: string;
    readonly token: string;
    readonly csrPem: string;
    readonly role: 'node' | 'master';
  }): Promise<string>;
}

export interface ServerAddress {
  readonly host: string;
  readonly port: number;
}

/** Parses "host:port", "1.2.3.4:7443" or "[fe80::1]:7443". */
export function parseServerAddress(value: string): ServerAddress {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535) throw new JoinError(`master address must be HOST:PORT (e.g. 192.168.1.10:7443), got ${JSON.stringify(value)}`);
  return { host: (m[1] ?? m[2])!, port };
}

export interface JoinOptions {
  /** The master to join, "HOST:PORT". */
  readonly server: string;
  /** ID.SECRET from `orchard token create`. */
  readonly token: string;
  /** --discovery-token-ca-cert-hash */
  readonly caCertHash: string;
  /** This machine's node (or master) name. */
  readonly name: string;
  readonly role?: 'node' | 'master';
  /** Credentials directory (<data-dir>/pki). */
  readonly dir: string;
  readonly transport: JoinTransport;
  /** Reads the CA from the master's TLS handshake; replaced in tests. */
  readonly fetchCa?: (server: ServerAddress) => Promise<string>;
  readonly fs?: CredentialsFs;
}

/**
 * `orchard-agent join`: discover and pin the CA, create this machine's key and CSR, get
 * the certificate with the token, check it, and store key, certificate and CA (0600).
 * Every input is checked before the network is used; nothing is written unless the whole
 * exchange succeeded. Refuses to overwrite the credentials of an earlier join.
 */
export async function joinCluster(opts: JoinOptions): Promise<Credentials> {
  const role = opts.role ?? 'node';
  const server = parseServerAddress(opts.server);
  if (!/^[a-z0-9]{6}\.[a-z0-9]{16}$/.test(opts.token.trim())) {
    throw new JoinError('--token must look like "abcdef.0123456789abcdef" (create one on a master: orchard token create)');
  }
  const pin = parseCaPin(opts.caCertHash);
  const subject = joinSubject(role, opts.name);
  if (await loadCredentials(opts.dir, opts.fs).catch(() => 'broken' as const)) {
    throw new JoinError(
      `this machine has already joined (credentials in ${opts.dir}); to join again, remove that folder first ` +
        '(and delete the old node on a master: orchard delete node NAME)',
    );
  }

  const fetchCa = opts.fetchCa ?? ((s: ServerAddress) => fetchCaFromServer(s.host, s.port));
  const caPem = await fetchAndPinCA(() => fetchCa(server), pin);
  const { keyPem, csrPem } = await generateKeyAndCsr(opts.name, role);
  let certPem: string;
  try {
    certPem = await opts.transport.requestCertificate({ server, caPem, token: opts.token.trim(), csrPem, role });
  } catch (cause) {
    throw new JoinError(`the master at ${opts.server} refused to join ${subject.commonName}: ${(cause as Error).message}`, { cause });
  }
  const cert = new X509Certificate(certPem);
  if (cert.subject !== `CN=${subject.commonName}\nO=${subject.organization}`) {
    throw new JoinError(`the master returned a certificate for "${cert.subject.replace('\n', ', ')}", expected ${subject.commonName}`);
  }
  const creds = { keyPem, certPem, caPem };
  // Checks that the certificate belongs to the new key and was issued by the pinned CA.
  await writeCredentials(opts.dir, creds, opts.fs);
  return creds;
}
