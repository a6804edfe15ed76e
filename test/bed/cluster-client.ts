import { readFileSync } from 'node:fs';
import { credentials, Metadata, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { parse as parseYaml } from 'yaml';
import { ApplyRequest, ApplyResponse, ClusterServiceClient, type ApiObject } from '@orchard/api';

/**
 * Talks to a master's cluster API directly, without the CLI: for checking that the server
 * itself refuses what a careless or hostile client might send.
 */
export interface RawClusterClient {
  apply(objects: ApiObject[]): Promise<ApplyResponse>;
  close(): void;
}

/** The fields of a client configuration (admin.conf) that make TLS credentials. */
export interface ClientTls {
  certificateAuthority: string;
  clientCertificate?: string;
  clientKey?: string;
}

/** Reads a client configuration file such as the master's admin.conf. */
export function readClientConfig(file: string): ClientTls & { masters: string[] } {
  return parseYaml(readFileSync(file, 'utf8')) as ClientTls & { masters: string[] };
}

/** Mutual-TLS credentials from a client configuration (without a client certificate when it has none). */
export function tlsCredentials(cfg: ClientTls): ChannelCredentials {
  return credentials.createSsl(
    Buffer.from(cfg.certificateAuthority),
    cfg.clientKey ? Buffer.from(cfg.clientKey) : null,
    cfg.clientCertificate ? Buffer.from(cfg.clientCertificate) : null,
  );
}

/**
 * A gRPC client of the cluster API at HOST:PORT, as the admin of the test file's cluster
 * (ORCHARD_CONFIG, set by the bed), or with the given credentials.
 */
export function rawClusterClient(address: string, creds?: ChannelCredentials): RawClusterClient {
  const config = process.env.ORCHARD_CONFIG;
  const client = new ClusterServiceClient(address, creds ?? (config ? tlsCredentials(readClientConfig(config)) : credentials.createInsecure()));
  return {
    apply(objects) {
      return new Promise((resolve, reject) => {
        client.apply(ApplyRequest.fromPartial({ objects }), new Metadata(), { deadline: Date.now() + 10_000 }, (err: ServiceError | null, res?: ApplyResponse) => {
          if (err) reject(err);
          else resolve(res!);
        });
      });
    },
    close() {
      client.close();
    },
  };
}
