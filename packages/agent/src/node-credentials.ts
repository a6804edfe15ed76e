import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import type { Logger } from '@orchard/api';
import { CredentialsError, joinCluster, loadCredentials, parseServerAddress, renewIfNeeded, type Credentials } from './join';
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

/** How often the agent checks whether its certificate needs renewing. */
const RENEW_CHECK_MS = 3_600_000;

/** Checks now and every hour whether the certificate is due; renews it over mutual TLS and swaps it in. */
export function startRenewal(opts: { dataDir: string; holder: CredentialsHolder; servers: () => readonly string[]; log: Logger; now?: () => number }): () => void {
  const renew = grpcRenewTransport(opts.servers);
  const check = () =>
    renewIfNeeded({ dir: credentialsDir(opts.dataDir), now: (opts.now ?? Date.now)(), renew }).then(
      (r) => {
        if (!r.renewed) return;
        opts.holder.set(r.credentials);
        opts.log.info('renewed the node certificate');
      },
      (err: unknown) => opts.log.warn({ err: (err as Error).message }, 'certificate renewal failed; retrying in an hour'),
    );
  void check();
  const timer = setInterval(() => void check(), RENEW_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
