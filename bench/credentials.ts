/**
 * Credentials of the benchmarks' clients, in one place. A master that serves mutual TLS
 * writes admin.conf into its data folder on its first start: the cluster API then uses
 * that admin certificate, and every simulated node gets a node certificate issued with the
 * pki library from the cluster CA in etcd (the bench holds the server secret that opens
 * it). A master without TLS gets plaintext clients.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import { parse as parseYaml } from 'yaml';
import { CA_ETCD_KEY, DAY_MS, generateKeyPair, openCA, privateKeyToPem, subjectFor, type CertifiedKey } from '../packages/master/src/pki';
import { issueLeaf } from '../packages/master/src/pki/issue';

/** Writes a fresh server secret for masters started with --server-secret-file. */
export function writeServerSecret(dir: string): string {
  const file = path.join(dir, 'server-secret');
  writeFileSync(file, randomBytes(32).toString('base64url') + '\n', { mode: 0o600 });
  return file;
}

export interface BenchCredentials {
  /** True when the master serves mutual TLS. */
  readonly tls: boolean;
  /** For the cluster API (admin). */
  readonly api: ChannelCredentials;
  /** For one simulated node's stream (its own certificate under TLS). */
  node(name: string): Promise<ChannelCredentials>;
}

/**
 * The credentials for a cluster whose first master keeps its data in masterDataDir.
 * Waits briefly for admin.conf (written right after the master starts serving).
 */
export async function benchCredentials(masterDataDir: string, etcdUrls: readonly string[], serverSecretFile: string): Promise<BenchCredentials> {
  const adminFile = path.join(masterDataDir, 'admin.conf');
  for (let i = 0; i < 30 && !existsSync(adminFile); i++) await new Promise((r) => setTimeout(r, 100));
  if (!existsSync(adminFile)) {
    const plain = credentials.createInsecure();
    return { tls: false, api: plain, node: async () => plain };
  }
  const admin = parseYaml(readFileSync(adminFile, 'utf8')) as { certificateAuthority: string; clientCertificate: string; clientKey: string };
  const caPem = Buffer.from(admin.certificateAuthority);
  const api = credentials.createSsl(caPem, Buffer.from(admin.clientKey), Buffer.from(admin.clientCertificate));
  const etcd = new Etcd3({ hosts: [...etcdUrls] });
  let ca: CertifiedKey;
  try {
    const sealed = await etcd.get(CA_ETCD_KEY).string();
    if (!sealed) throw new Error(`no cluster CA at ${CA_ETCD_KEY}`);
    ca = await openCA(sealed, readFileSync(serverSecretFile, 'utf8').trim());
  } finally {
    etcd.close();
  }
  return {
    tls: true,
    api,
    node: async (name) => {
      const keys = await generateKeyPair();
      const certPem = await issueLeaf(ca, { subject: subjectFor('node', name), publicKey: keys.publicKey, ttlMs: DAY_MS, serverAuth: false, clientAuth: true });
      return credentials.createSsl(caPem, Buffer.from(await privateKeyToPem(keys.privateKey)), Buffer.from(certPem));
    },
  };
}
