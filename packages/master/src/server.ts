import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ClusterServiceService, NodeServiceService, type ClusterServiceServer, type NodeServiceServer } from '@orchard/api';

/**
 * The credentials of the gRPC server. Insecure for now; mutual TLS replaces this one
 * function when the cluster PKI exists.
 */
export function createServerCredentials(): ServerCredentials {
  return ServerCredentials.createInsecure();
}

/** One gRPC server on one port for the cluster API and the node streams. */
export class GrpcServer {
  private readonly server = new Server({
    // Agents ping their long-lived streams so that a dead link is noticed; allow it.
    'grpc.keepalive_time_ms': 10_000,
    'grpc.keepalive_timeout_ms': 5_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 1_000,
  });

  constructor(cluster: ClusterServiceServer, nodes: NodeServiceServer) {
    this.server.addService(ClusterServiceService, cluster);
    this.server.addService(NodeServiceService, nodes);
  }

  /** Listens on host:port; resolves with the bound port (useful with port 0). */
  listen(address: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(address, createServerCredentials(), (err, port) => {
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
