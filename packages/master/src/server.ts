import { Server, ServerCredentials } from '@grpc/grpc-js';
import {
  BootstrapServiceService,
  ClusterServiceService,
  NodeServiceService,
  type BootstrapServiceServer,
  type ClusterServiceServer,
  type NodeServiceServer,
} from '@orchard/api';

/**
 * The largest message the master accepts (4 MiB, gRPC's usual default, set explicitly
 * because it is documented): a bigger one is refused with RESOURCE_EXHAUSTED before it
 * is decoded. An apply of many objects stays far below it; ConfigMaps and Secrets are
 * limited to 1 MiB each.
 */
export const MAX_RECEIVE_MESSAGE_BYTES = 4 * 1024 * 1024;

export interface GrpcServerOptions {
  /** Join and certificate renewal. */
  readonly bootstrap?: BootstrapServiceServer;
  /** TLS credentials (pki serverCredentials); plaintext without them, for in-process tests only. */
  readonly credentials?: ServerCredentials;
}

/** One gRPC server on one port for the cluster API and the node streams. */
export class GrpcServer {
  private readonly server = new Server({
    // Agents ping their long-lived streams so that a dead link is noticed; allow it.
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 5_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 1_000,
    'grpc.max_receive_message_length': MAX_RECEIVE_MESSAGE_BYTES,
  });
  private readonly credentials: ServerCredentials;

  constructor(cluster: ClusterServiceServer, nodes: NodeServiceServer, opts: GrpcServerOptions = {}) {
    this.server.addService(ClusterServiceService, cluster);
    this.server.addService(NodeServiceService, nodes);
    if (opts.bootstrap) this.server.addService(BootstrapServiceService, opts.bootstrap);
    this.credentials = opts.credentials ?? ServerCredentials.createInsecure();
  }

  /** Listens on host:port; resolves with the bound port (useful with port 0). */
  listen(address: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(address, this.credentials, (err, port) => {
        if (err) reject(new Error(`failed to listen on ${address}: ${err.message}`, { cause: err }));
        else resolve(port);
      });
    });
  }

  /** Stops accepting calls and waits up to `graceMs` for running ones, then cuts them. */
  async stop(graceMs = 2000): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
