import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { BootstrapServiceClient, JoinRequest, RenewCertificateRequest, type JoinResponse } from '@orchard/api/agent';
import { nodeChannelCredentials } from '../session/credentials';
import type { JoinTransport } from './join-cluster';
import type { RenewTransport } from './renew';

const CALL_TIMEOUT_MS = 30_000;

/** The master's answer to a join, kept for what comes after (a joining master needs the secret and etcd). */
export interface JoinAnswer {
  response?: JoinResponse;
}

/**
 * Join over gRPC: TLS that trusts only the pinned CA (no client certificate yet: the
 * token authenticates the call). The master's full answer is stored in `answer`.
 */
export function grpcJoinTransport(answer: JoinAnswer = {}): JoinTransport {
  return {
    requestCertificate: (req) =>
      new Promise<string>((resolve, reject) => {
        const host = req.server.host.includes(':') ? `[${req.server.host}]` : req.server.host;
        const client = new BootstrapServiceClient(`${host}:${req.server.port}`, credentials.createSsl(Buffer.from(req.caPem)));
        client.join(
          JoinRequest.fromPartial({ token: req.token, csrPem: req.csrPem, usage: req.role }),
          new Metadata(),
          { deadline: Date.now() + CALL_TIMEOUT_MS },
          (err: ServiceError | null, res?: JoinResponse) => {
            client.close();
            if (err) reject(new Error(err.details || err.message, { cause: err }));
            else {
              answer.response = res;
              resolve(res!.certificatePem);
            }
          },
        );
      }),
  };
}

/** Renewal over the node's mutual-TLS connection to one of the masters, tried in turn. */
export function grpcRenewTransport(servers: () => readonly string[]): RenewTransport {
  return async ({ current, csrPem }) => {
    const failures: string[] = [];
    for (const address of servers()) {
      try {
        return await new Promise<string>((resolve, reject) => {
          const client = new BootstrapServiceClient(address, nodeChannelCredentials(current));
          client.renewCertificate(RenewCertificateRequest.fromPartial({ csrPem }), new Metadata(), { deadline: Date.now() + CALL_TIMEOUT_MS }, (err, res) => {
            client.close();
            if (err) reject(new Error(`${address}: ${err.details || err.message}`, { cause: err }));
            else resolve(res.certificatePem);
          });
        });
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    throw new Error(failures.join('; ') || 'no master address');
  };
}
