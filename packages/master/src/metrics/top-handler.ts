import { Metadata, type ChannelCredentials, type ServiceError, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { ClusterServiceClient, OrchardError, toServiceError, type Logger, type TopRequest, type TopResponse, type UsageRow } from '@orchard/api';
import type { TopScope, TopService } from './top-service';

/** Metadata key a master sets when it relays a Top request to a peer. */
export const TOP_SCOPE_HEADER = 'x-orchard-top-scope';
/** A peer slower than this is left out of the answer rather than holding it up. */
const PEER_DEADLINE_MS = 2_000;

/** The gRPC handler of ClusterService.Top. */
export function topHandler(svc: TopService, log: Logger) {
  return (call: ServerUnaryCall<TopRequest, TopResponse>, callback: sendUnaryData<TopResponse>): void => {
    const scope: TopScope = call.metadata.get(TOP_SCOPE_HEADER)[0] === 'local' ? 'local' : 'cluster';
    svc.top(call.request, scope).then(
      (res) => callback(null, res),
      (err: unknown) => {
        if (err instanceof OrchardError) log.debug({ method: 'Top', err: err.message }, 'request refused');
        else log.error({ method: 'Top', err }, 'request failed');
        callback(toServiceError(err), null);
      },
    );
  };
}

/**
 * Asks peer masters for the rows they hold, one client per address kept for reuse, with
 * the credentials a master uses towards its peers.
 */
export class PeerTopClient {
  private readonly clients = new Map<string, ClusterServiceClient>();

  constructor(private readonly credentials: ChannelCredentials) {}

  ask(address: string, req: TopRequest): Promise<UsageRow[]> {
    let client = this.clients.get(address);
    if (!client) {
      client = new ClusterServiceClient(address, this.credentials);
      this.clients.set(address, client);
    }
    const md = new Metadata();
    md.set(TOP_SCOPE_HEADER, 'local');
    return new Promise((resolve, reject) => {
      client!.top(req, md, { deadline: Date.now() + PEER_DEADLINE_MS }, (err: ServiceError | null, res?: TopResponse) => {
        if (err) reject(new Error(`top from ${address}: ${err.details || err.message}`, { cause: err }));
        else resolve(res?.rows ?? []);
      });
    });
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
