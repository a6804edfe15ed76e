import type { Command } from 'commander';
import { DEFAULT_REQUEST_TIMEOUT_MS, GrpcClusterClient, parseServers, type ClusterApi } from './client';
import { parseDuration } from './duration';
import type { Io } from './io';
import { GrpcStreamClient } from './streams/stream-client';
import type { StreamsContext } from './streams/streams-context';

/** The flags every command takes. */
export interface GlobalOptions {
  server?: string;
  namespace?: string;
  requestTimeout?: string;
}

/** What a command runs with: the terminal and a way to reach the cluster. */
export interface Context {
  readonly io: Io;
  /** Opens the cluster API for these flags (the caller closes it). */
  connect(opts: GlobalOptions): ClusterApi;
}

/** The real context: gRPC to the masters named by --server or ORCHARD_SERVER. */
export function grpcContext(io: Io): Context & StreamsContext {
  return {
    io,
    connect(opts) {
      const timeout = opts.requestTimeout ? parseDuration(opts.requestTimeout) : DEFAULT_REQUEST_TIMEOUT_MS;
      return new GrpcClusterClient({
        servers: parseServers(opts.server ?? io.env('ORCHARD_SERVER')),
        // kubectl: 0 means no timeout; a day stands in for "none".
        timeoutMs: timeout > 0 ? timeout : 86_400_000,
      });
    },
    // Logs and exec reach the same masters.
    connectStreams: (opts) => new GrpcStreamClient({ servers: parseServers(opts.server ?? io.env('ORCHARD_SERVER')) }),
  };
}

/** The global flags of a command, wherever on the command line they were given. */
export function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/** The namespace a command works in: -n, else "default". */
export function namespaceOf(opts: GlobalOptions): string {
  return opts.namespace || 'default';
}

/** Runs fn with a connected client and always closes it. */
export async function withCluster<T>(ctx: Context, opts: GlobalOptions, fn: (c: ClusterApi) => Promise<T>): Promise<T> {
  const c = ctx.connect(opts);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

/** Several errors to report at once (every invalid document, every missing object). */
export class CommandErrors extends Error {
  constructor(readonly messages: readonly string[]) {
    super(messages.join('\n'));
  }
}
