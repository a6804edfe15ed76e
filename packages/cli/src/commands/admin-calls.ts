import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import {
  ClusterServiceClient,
  UnavailableError,
  fromServiceError,
  type CreateCredentialsRequest,
  type CreateCredentialsResponse,
  type ReencryptSecretsResponse,
} from '@orchard/api';
import { connectionProblem, type ClientOptions } from '../client';
import type { Context, GlobalOptions } from '../context';

/** The admin-only security calls of the cluster API (credentials, secret re-encryption). */
export interface AdminApi {
  createCredentials(req: CreateCredentialsRequest): Promise<CreateCredentialsResponse>;
  reencryptSecrets(): Promise<ReencryptSecretsResponse>;
}

/** Opens the admin calls for these flags; closes the connection when `fn` is done. */
export type AdminConnector = <T>(opts: GlobalOptions, fn: (api: AdminApi) => Promise<T>) => Promise<T>;

/**
 * The admin calls over gRPC, to the same masters with the same credentials as every
 * other command: a master that is unreachable is skipped, any other answer is final.
 */
export function grpcAdminConnector(ctx: Context): AdminConnector {
  return async (opts, fn) => {
    const api = ctx.connect(opts);
    const options = (api as { options?: ClientOptions }).options;
    api.close();
    if (!options) throw new Error('this command needs a connection to a master');
    const clients = new Map<string, ClusterServiceClient>();
    const client = (addr: string) => {
      let c = clients.get(addr);
      if (!c) clients.set(addr, (c = new ClusterServiceClient(addr, options.credentials!)));
      return c;
    };
    const unary = async <Res>(call: (c: ClusterServiceClient, deadline: Date, cb: (err: ServiceError | null, res: Res) => void) => void): Promise<Res> => {
      const failures: string[] = [];
      for (const addr of options.servers) {
        try {
          return await new Promise<Res>((resolve, reject) => call(client(addr), new Date(Date.now() + options.timeoutMs), (err, res) => (err ? reject(err) : resolve(res))));
        } catch (err) {
          const e = err as Partial<ServiceError>;
          if (e.code !== GrpcStatus.UNAVAILABLE) throw fromServiceError(err);
          failures.push(`${addr}: ${connectionProblem(e)}`);
        }
      }
      throw new UnavailableError(`cannot reach any master (${failures.join('; ')})`);
    };
    try {
      return await fn({
        createCredentials: (req) => unary((c, deadline, cb) => c.createCredentials(req, new Metadata(), { deadline }, cb)),
        reencryptSecrets: () => unary((c, deadline, cb) => c.reencryptSecrets({}, new Metadata(), { deadline }, cb)),
      });
    } finally {
      for (const c of clients.values()) c.close();
    }
  };
}
