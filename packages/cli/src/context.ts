import type { Command } from 'commander';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, GrpcClusterClient, channelCredentials, parseServers, type AdminApi, type ClusterApi, type TokenApi } from './client';
import { loadClientConfig, NO_CREDENTIALS } from './client-config';
import { parseDuration } from './duration';
import type { Io } from './io';
import { GrpcStreamClient } from './streams/stream-client';
import type { StreamsContext } from './streams/streams-context';

/** The flags every command takes. */
export interface GlobalOptions {
  server?: string;
  /** Client configuration file (after ~/.orchard/config and ORCHARD_CONFIG). */
  config?: string;
  namespace?: string;
  requestTimeout?: string;
  /** Time to connect to one master before the next is tried (--connect-timeout). */
  connectTimeout?: string;
}

/** What a command runs with: the terminal and a way to reach the cluster. */
export interface Context {
  readonly io: Io;
  /** Opens the cluster API for these flags (the caller closes it). */
  connect(opts: GlobalOptions): ClusterApi;
  /** Opens the join token calls (the real context only). */
  connectTokens?(opts: GlobalOptions): TokenApi;
  /** Opens the admin security calls (the real context only; the caller closes it). */
  connectAdmin?(opts: GlobalOptions): AdminApi & { close(): void };
}

/** The real context: gRPC to the masters named by --server or ORCHARD_SERVER. */
export function grpcContext(io: Io): Context & StreamsContext {
  const client = (opts: GlobalOptions) => {
    const timeout = opts.requestTimeout ? parseDuration(opts.requestTimeout) : DEFAULT_REQUEST_TIMEOUT_MS;
    const config = loadClientConfig((n) => io.env(n), opts.config);
    if (!config.certificateAuthority || !config.clientCertificate || !config.clientKey) throw new Error(NO_CREDENTIALS);
    return new GrpcClusterClient({
      servers: chooseServers(opts.server, io.env('ORCHARD_SERVER'), config.masters),
      // kubectl: 0 means no timeout; a day stands in for "none".
      timeoutMs: timeout > 0 ? timeout : 86_400_000,
      connectTimeoutMs: connectTimeoutOf(opts.connectTimeout, config.connectTimeout),
      credentials: channelCredentials({ caPem: config.certificateAuthority, certPem: config.clientCertificate, keyPem: config.clientKey }),
    });
  };
  return {
    io,
    connect: client,
    connectTokens: client,
    connectAdmin: client,
    // Logs and exec reach the same masters with the same credentials.
    connectStreams: (opts) => new GrpcStreamClient(client(opts).options),
  };
}

/** The connect timeout: --connect-timeout, else the configuration's connectTimeout, else the default (ms). */
export function connectTimeoutOf(flag: string | undefined, configured: string | undefined): number {
  if (flag !== undefined) {
    const ms = parseDuration(flag);
    if (ms <= 0) throw new Error(`invalid --connect-timeout "${flag}": it must be more than 0`);
    return ms;
  }
  return configured !== undefined ? parseDuration(configured) : DEFAULT_CONNECT_TIMEOUT_MS;
}

/** The masters to call: --server, else ORCHARD_SERVER, else the configuration's masters, else the default. */
export function chooseServers(flag: string | undefined, env: string | undefined, configured: readonly string[] | undefined): string[] {
  return parseServers(flag ?? env ?? configured?.join(','));
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
  return withConnection(ctx.connect(opts), fn);
}

/** Runs fn with an opened connection (cluster, token or admin calls) and always closes it. */
export async function withConnection<C extends { close(): void }, T>(c: C, fn: (c: C) => Promise<T>): Promise<T> {
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
