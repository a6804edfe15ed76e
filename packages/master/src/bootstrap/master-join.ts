import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as tls from 'node:tls';
import { credentials, Metadata } from '@grpc/grpc-js';
import * as x509 from '@peculiar/x509';
import { BootstrapServiceClient, JoinRequest, type JoinResponse } from '@orchard/api';
import { caPin, generateKeyPair, privateKeyToPem, subjectFor, toJsonName } from '../pki';
import { cryptoProvider, EC_SIGNING_ALGORITHM } from '../pki/crypto-provider';
import { writeServerSecret } from './server-secret-file';

/** `orchard-master join MASTER:PORT --token ID.SECRET --discovery-token-ca-cert-hash sha256:HEX`. */
export interface MasterJoinArgs {
  readonly server: string;
  readonly token: string;
  readonly caCertHash: string;
  /** Store what the cluster sent and exit (an installer then starts the service). */
  readonly joinOnly?: boolean;
}

/**
 * Joins a further master: reads the CA from the existing master's TLS handshake and
 * trusts it only if its key hash equals the pin, sends a CSR for `system:master:<name>`
 * with the master token over TLS verified against that CA, and stores what the cluster
 * sends back: the server secret (0600, it opens the CA in etcd) and the master's own key
 * and certificate under <data-dir>/pki. Returns the etcd endpoints to run with.
 */
export async function joinAsMaster(join: MasterJoinArgs, name: string, dataDir: string, secretFile: string | undefined): Promise<{ etcd: string[]; masters: string[] }> {
  const m = /^(.+):(\d{1,5})$/.exec(join.server);
  if (!m) throw new Error(`master address must be HOST:PORT, got ${JSON.stringify(join.server)}`);
  const pin = join.caCertHash.trim().toLowerCase();
  if (!/^sha256:[0-9a-f]{64}$/.test(pin)) throw new Error(`--discovery-token-ca-cert-hash must be "sha256:" and 64 hex digits, got ${JSON.stringify(join.caCertHash)}`);
  const caPem = await fetchCa(m[1]!.replace(/^\[|\]$/g, ''), Number(m[2]));
  const actual = caPin(caPem);
  if (actual !== pin) {
    throw new Error(`refusing to trust the cluster CA: its public key hash is ${actual} but --discovery-token-ca-cert-hash is ${pin}`);
  }
  cryptoProvider();
  const keys = await generateKeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: toJsonName(subjectFor('master', name)), keys, signingAlgorithm: EC_SIGNING_ALGORITHM });
  const res = await new Promise<JoinResponse>((resolve, reject) => {
    const client = new BootstrapServiceClient(join.server, credentials.createSsl(Buffer.from(caPem)));
    client.join(JoinRequest.fromPartial({ token: join.token.trim(), csrPem: csr.toString('pem'), usage: 'master' }), new Metadata(), { deadline: Date.now() + 30_000 }, (err, r) => {
      client.close();
      if (err) reject(new Error(`the master at ${join.server} refused to join master ${name}: ${err.details || err.message}`, { cause: err }));
      else resolve(r!);
    });
  });
  if (!res.serverSecret) throw new Error(`the master at ${join.server} sent no server secret`);
  const file = secretFile ?? path.join(dataDir, 'server-secret');
  const existing = await readFile(file, 'utf8').catch(() => undefined);
  if (existing !== undefined && existing.trim() !== res.serverSecret) {
    throw new Error(`${file} already holds another server secret; this master belonged to another cluster. Move it away and join again`);
  }
  await writeServerSecret(file, res.serverSecret);
  const pki = path.join(dataDir, 'pki');
  await mkdir(pki, { recursive: true, mode: 0o700 });
  await writeFile(path.join(pki, 'master.key'), await privateKeyToPem(keys.privateKey), { mode: 0o600 });
  await writeFile(path.join(pki, 'master.crt'), res.certificatePem, { mode: 0o600 });
  await writeFile(path.join(pki, 'ca.crt'), caPem, { mode: 0o600 });
  await chmod(pki, 0o700);
  return { etcd: res.etcdEndpoints, masters: res.masters };
}

function fetchCa(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // Unverified on purpose: the pin check that follows is the verification.
    const socket = tls.connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ['h2'], servername: /^[\d.]+$|:/.test(host) ? undefined : host });
    socket.setTimeout(10_000, () => {
      socket.destroy();
      reject(new Error(`cannot read the CA from ${host}:${port}: timed out`));
    });
    socket.once('error', (err) => reject(new Error(`cannot read the CA from ${host}:${port}: ${err.message}`, { cause: err })));
    socket.once('secureConnect', () => {
      const seen = new Set<string>();
      let cert = socket.getPeerCertificate(true) as tls.DetailedPeerCertificate | undefined;
      let ca: X509Certificate | undefined;
      while (cert?.raw && !seen.has(cert.fingerprint256)) {
        seen.add(cert.fingerprint256);
        const c = new X509Certificate(cert.raw);
        if (c.ca && c.checkIssued(c)) ca = c;
        cert = cert.issuerCertificate;
      }
      socket.destroy();
      if (ca) resolve(ca.toString());
      else reject(new Error(`${host}:${port} sent no self-signed CA certificate`));
    });
  });
}
