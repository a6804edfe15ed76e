import { Metadata, credentials, status as GrpcStatus, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import {
  ClusterServiceClient,
  UnavailableError,
  fromServiceError,
  type ApiObject,
  type ApplyRequest,
  type ApplyResponse,
  type CreateTokenRequest,
  type CreateTokenResponse,
  type ListTokensResponse,
  type DeleteRequest,
  type DeleteResponse,
  type GetRequest,
  type ListMastersResponse,
  type ListRequest,
  type ListResponse,
  type TopRequest,
  type TopResponse,
  type WatchEvent,
  type WatchRequest,
} from '@orchard/api';

export const DEFAULT_SERVER = '127.0.0.1:7443';
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** What the commands need from a cluster: the cluster API as promises. */
export interface ClusterApi {
  apply(req: ApplyRequest): Promise<ApplyResponse>;
  get(req: GetRequest): Promise<ApiObject>;
  list(req: ListRequest): Promise<ListResponse>;
  delete(req: DeleteRequest): Promise<DeleteResponse>;
  listMasters(): Promise<ListMastersResponse>;
  /** Resource usage of nodes or pods (`orchard top`). */
  top(req: TopRequest): Promise<TopResponse>;
  /**
   * Streams watch events to onEvent until the server ends the stream (resolves), it
   * fails (rejects with a typed error) or signal aborts (resolves).
   */
  watch(req: WatchRequest, onEvent: (ev: WatchEvent) => void, signal?: AbortSignal): Promise<void>;
  close(): void;
}

export interface ClientOptions {
  /** Master addresses, tried in order; the next one is tried when one is unavailable. */
  readonly servers: readonly string[];
  /** Deadline of each unary call. */
  readonly timeoutMs: number;
  /** TLS credentials (channelCredentials); plaintext only for in-process tests. */
  readonly credentials?: ChannelCredentials;
}

/** The join token calls (`orchard token ...`), admin only. */
export interface TokenApi {
  createToken(req: CreateTokenRequest): Promise<CreateTokenResponse>;
  listTokens(): Promise<ListTokensResponse>;
  deleteToken(id: string): Promise<void>;
  close(): void;
}

/**
 * Channel credentials for the cluster API: trust only the cluster CA, and prove who we
 * are with the client certificate of the configuration (mutual TLS).
 */
export function channelCredentials(tls: { caPem: string; certPem?: string; keyPem?: string }): ChannelCredentials {
  return credentials.createSsl(
    Buffer.from(tls.caPem),
    tls.keyPem ? Buffer.from(tls.keyPem) : null,
    tls.certPem ? Buffer.from(tls.certPem) : null,
  );
}

/** Splits `--server` / ORCHARD_SERVER: comma-separated HOST:PORT, blanks ignored. */
export function parseServers(value: string | undefined): string[] {
  const list = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return list.length > 0 ? list : [DEFAULT_SERVER];
}

/** The gist of grpc-js's connection error text ("connect ECONNREFUSED 127.0.0.1:7443"). */
export function connectionProblem(e: Partial<ServiceError>): string {
  const details = e.details || e.message || 'unavailable';
  const m = /Last error: (?:Error: )?(.+?)(?:\. Resolution note:.*)?$/s.exec(details);
  return (m ? m[1]! : details).trim();
}

/** How a master words UNAVAILABLE when its etcd (not the master) is out of reach. */
const STORE_UNAVAILABLE = /^etcd is unavailable/;

type Unary<Req, Res> = (
  client: ClusterServiceClient,
  req: Req,
  deadline: Date,
  cb: (err: ServiceError | null, res: Res) => void,
) => void;

/**
 * The cluster API over gRPC with failover: a call goes to the master that answered last;
 * when it is UNAVAILABLE (down, unreachable, not serving) the next address is tried, so
 * the CLI keeps working while any master is up. Other errors are the answer and are
 * returned as typed errors (fromServiceError).
 */
export class GrpcClusterClient implements ClusterApi, TokenApi {
  private readonly clients = new Map<string, ClusterServiceClient>();
  /** Index of the address that answered last; calls start there. */
  private current = 0;

  constructor(private readonly opts: ClientOptions) {
    if (opts.servers.length === 0) throw new Error('no server address given');
  }

  /** The addresses and credentials it calls with (logs and exec use the same). */
  get options(): ClientOptions {
    return this.opts;
  }

  private clientFor(addr: string): ClusterServiceClient {
    let c = this.clients.get(addr);
    if (!c) {
      c = new ClusterServiceClient(addr, this.opts.credentials ?? credentials.createInsecure());
      this.clients.set(addr, c);
    }
    return c;
  }

  private async unary<Req, Res>(call: Unary<Req, Res>, req: Req): Promise<Res> {
    const servers = this.opts.servers;
    const failures: string[] = [];
    let mastersAnswered = 0;
    for (let i = 0; i < servers.length; i++) {
      const idx = (this.current + i) % servers.length;
      const addr = servers[idx]!;
      try {
        const res = await new Promise<Res>((resolve, reject) => {
          call(this.clientFor(addr), req, new Date(Date.now() + this.opts.timeoutMs), (err, r) => (err ? reject(err) : resolve(r)));
        });
        this.current = idx;
        return res;
      } catch (err) {
        const e = err as Partial<ServiceError>;
        if (e.code !== GrpcStatus.UNAVAILABLE) {
          if (e.code === GrpcStatus.DEADLINE_EXCEEDED) {
            throw new UnavailableError(`the server ${addr} did not answer within ${this.opts.timeoutMs / 1000}s`, { cause: err });
          }
          throw fromServiceError(err);
        }
        // A master that answered "etcd is unavailable" is reachable: its words are the news.
        const storeDown = STORE_UNAVAILABLE.test(e.details ?? '');
        if (storeDown) mastersAnswered++;
        failures.push(`${addr}: ${storeDown ? e.details : connectionProblem(e)}`);
      }
    }
    if (mastersAnswered > 0) {
      throw new UnavailableError(`etcd is unavailable: no master can reach a quorum of etcd members; retry when etcd is back (${failures.join('; ')})`);
    }
    throw new UnavailableError(`cannot reach any master (${failures.join('; ')})`);
  }

  apply(req: ApplyRequest): Promise<ApplyResponse> {
    return this.unary<ApplyRequest, ApplyResponse>((c, r, deadline, cb) => c.apply(r, new Metadata(), { deadline }, cb), req);
  }

  get(req: GetRequest): Promise<ApiObject> {
    return this.unary<GetRequest, ApiObject>((c, r, deadline, cb) => c.get(r, new Metadata(), { deadline }, cb), req);
  }

  list(req: ListRequest): Promise<ListResponse> {
    return this.unary<ListRequest, ListResponse>((c, r, deadline, cb) => c.list(r, new Metadata(), { deadline }, cb), req);
  }

  delete(req: DeleteRequest): Promise<DeleteResponse> {
    return this.unary<DeleteRequest, DeleteResponse>((c, r, deadline, cb) => c.delete(r, new Metadata(), { deadline }, cb), req);
  }

  listMasters(): Promise<ListMastersResponse> {
    return this.unary<object, ListMastersResponse>((c, r, deadline, cb) => c.listMasters(r, new Metadata(), { deadline }, cb), {});
  }

  top(req: TopRequest): Promise<TopResponse> {
    return this.unary<TopRequest, TopResponse>((c, r, deadline, cb) => c.top(r, new Metadata(), { deadline }, cb), req);
  }

  createToken(req: CreateTokenRequest): Promise<CreateTokenResponse> {
    return this.unary<CreateTokenRequest, CreateTokenResponse>((c, r, deadline, cb) => c.createToken(r, new Metadata(), { deadline }, cb), req);
  }

  listTokens(): Promise<ListTokensResponse> {
    return this.unary<object, ListTokensResponse>((c, r, deadline, cb) => c.listTokens(r, new Metadata(), { deadline }, cb), {});
  }

  async deleteToken(id: string): Promise<void> {
    await this.unary<{ id: string }, unknown>((c, r, deadline, cb) => c.deleteToken(r, new Metadata(), { deadline }, cb), { id });
  }

  async watch(req: WatchRequest, onEvent: (ev: WatchEvent) => void, signal?: AbortSignal): Promise<void> {
    const servers = this.opts.servers;
    const failures: string[] = [];
    let mastersAnswered = 0;
    for (let i = 0; i < servers.length; i++) {
      const idx = (this.current + i) % servers.length;
      const addr = servers[idx]!;
      let received = false;
      try {
        await new Promise<void>((resolve, reject) => {
          const stream = this.clientFor(addr).watch(req);
          const abort = () => {
            stream.cancel();
            resolve();
          };
          if (signal?.aborted) return abort();
          signal?.addEventListener('abort', abort, { once: true });
          stream.on('data', (ev: WatchEvent) => {
            received = true;
            this.current = idx;
            onEvent(ev);
          });
          stream.on('end', () => resolve());
          stream.on('error', (err: ServiceError) => {
            if (err.code === GrpcStatus.CANCELLED && signal?.aborted) resolve();
            else reject(err);
          });
        });
        return;
      } catch (err) {
        const e = err as Partial<ServiceError>;
        // Once events arrived the caller has state from this master; it decides what to do.
        if (e.code !== GrpcStatus.UNAVAILABLE || received) throw fromServiceError(err);
        // A master that answered "etcd is unavailable" is reachable: its words are the news.
        const storeDown = STORE_UNAVAILABLE.test(e.details ?? '');
        if (storeDown) mastersAnswered++;
        failures.push(`${addr}: ${storeDown ? e.details : connectionProblem(e)}`);
      }
    }
    if (mastersAnswered > 0) {
      throw new UnavailableError(`etcd is unavailable: no master can reach a quorum of etcd members; retry when etcd is back (${failures.join('; ')})`);
    }
    throw new UnavailableError(`cannot reach any master (${failures.join('; ')})`);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
