import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { ApplyRequest, ApplyResponse, ClusterServiceClient, type ApiObject } from '@orchard/api';

/**
 * Talks to a master's cluster API directly, without the CLI: for checking that the server
 * itself refuses what a careless or hostile client might send.
 */
export interface RawClusterClient {
  apply(objects: ApiObject[]): Promise<ApplyResponse>;
  close(): void;
}

/** A plaintext gRPC client of the cluster API at HOST:PORT. */
export function rawClusterClient(address: string): RawClusterClient {
  const client = new ClusterServiceClient(address, credentials.createInsecure());
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
