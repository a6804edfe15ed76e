import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import type { Logger } from '@orchard/api/agent';
import { CredentialsError, joinCluster, loadCredentials, parseServerAddress, renewalTime, renewIfNeeded, type Credentials } from './join';
import { grpcJoinTransport, grpcRenewTransport, type JoinAnswer } from './join/grpc-transport';
import type { JoinArgs } from './join-args';
import { CredentialsHolder } from './session/credentials';

/** Where a node keeps its key, certificate and the cluster CA. */
export function credentialsDir(dataDir: string): string {
  return path.join(dataDir, 'pki');
}

/**
 * `orchard-agent join`: gets this node's certificate with the token (see join/). Returns
 * the credentials and the masters the cluster reported, for the agent's server list.
 */
export async function joinNode(join: JoinArgs, nodeName: string, dataDir: string): Promise<{ creds: Credentials; masters: string[] }> {
  parseServerAddress(join.server);
  const answer: JoinAnswer = {};
  const creds = await joinCluster({
    server: join.server,
    token: join.token,
    caCertHash: join.caCertHash,
    name: nodeName,
    role: 'node',
    dir: credentialsDir(dataDir),
    transport: grpcJoinTransport(answer),
  });
  return { creds, masters: answer.response?.masters ?? [] };
}

/** The credentials of a node that joined before; a clear error for one that has not. */
export async function storedCredentials(dataDir: string, nodeName: string): Promise<Credentials> {
  const dir = credentialsDir(dataDir);
  const creds = await loadCredentials(dir);
  if (!creds) {
    throw new CredentialsError(
      `this node has not joined a cluster yet (no credentials in ${dir}); join it with the command a master prints: ` +
        'orchard token create --print-join-command',
    );
  }
  checkNodeName(creds, nodeName, dir);
  return creds;
}

function checkNodeName(creds: Credentials, nodeName: string, dir: string): void {
  const cn = /CN=system:node:([^\n,]+)/.exec(new X509Certificate(creds.certPem).subject)?.[1];
  if (cn !== nodeName) {
    throw new CredentialsError(`the certificate in ${dir} is for node "${cn}", but this agent runs as "${nodeName}"; start it with --node-name ${cn}`);
  }
}

/** The longest the agent waits between two looks at its certificate. */
const RENEW_CHECK_MAX_MS = 3_600_000;
/** The shortest wait, so a certificate that cannot be renewed is not retried in a tight loop. */
const RENEW_CHECK_MIN_MS = 1_000;

/**
 * When to look at the certificate next: at its renewal time (a third of its validity
 * left), at most an hour from now; after a failure, a quarter of the time still left
 * (at most an hour), so a short-lived certificate gets several tries before it expires.
 */
export function nextRenewalCheck(certPem: string, now: number, failed: boolean): number {
  const cert = new X509Certificate(certPem);
  const notAfter = Date.parse(cert.validTo);
  const wait = failed ? (notAfter - now) / 4 : renewalTime(certPem) - now;
  return Math.min(RENEW_CHECK_MAX_MS, Math.max(RENEW_CHECK_MIN_MS, Math.floor(wait)));
}

/**
 * Renews the certificate when it is due (checked at start, then at its renewal time, at
 * least hourly) over mutual TLS, and swaps it in: the stream keeps running on its
 * connection, and every connection opened afterwards uses the new certificate.
 */
export function startRenewal(opts: { dataDir: string; holder: CredentialsHolder; servers: () => readonly string[]; log: Logger; now?: () => number }): () => void {
  const renew = grpcRenewTransport(opts.servers);
  const now = opts.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = (failed: boolean) => {
    if (stopped) return;
    const wait = nextRenewalCheck(opts.holder.credentials.certPem, now(), failed);
    timer = setTimeout(() => void check(), wait);
    timer.unref();
  };
  const check = () =>
    renewIfNeeded({ dir: credentialsDir(opts.dataDir), now: now(), renew }).then(
      (r) => {
        if (r.renewed) {
          opts.holder.set(r.credentials);
          const cert = new X509Certificate(r.credentials.certPem);
          opts.log.info({ serial: cert.serialNumber, notAfter: cert.validTo }, 'renewed the node certificate');
        }
        schedule(false);
      },
      (err: unknown) => {
        const wait = nextRenewalCheck(opts.holder.credentials.certPem, now(), true);
        opts.log.warn({ err: (err as Error).message, retryInSeconds: Math.round(wait / 1000) }, 'certificate renewal failed; retrying');
        schedule(true);
      },
    );
  void check();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
