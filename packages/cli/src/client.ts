import { Metadata, credentials, status as GrpcStatus, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import {
  ClusterServiceClient,
  UnavailableError,
  fromServiceError,
  type ApiObject,
  type ApplyRequest,
  type ApplyResponse,
  type CreateCredentialsRequest,
  type CreateCredentialsResponse,
  type CreateTokenRequest,
  type CreateTokenResponse,
  type ListTokensResponse,
  type DeleteRequest,
  type DeleteResponse,
  type GetRequest,
  type ListMastersResponse,
  type ListRequest,
  type ListResponse,
  type ReencryptSecretsResponse,
  type TopRequest,
  type TopResponse,
  type WatchEvent,
  type WatchRequest,
} from '@orchard/api';
import { waitChannel, type ChannelStanding } from './channel-ready';

export const DEFAULT_SERVER = '127.0.0.1:7443';
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/**
 * How long a master may take to complete the connection (TCP and TLS handshakes) before
 * the next one is tried; also how long a read waits for a connected master's answer before
 * asking the next one as well. A few seconds: a Pi on a busy LAN connects in well under
 * one, and a frozen master must not hold the CLI for the whole request timeout.
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;

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
  /** Deadline of each unary call (all masters tried included). */
  readonly timeoutMs: number;
  /** Time to connect to one master before the next is tried (DEFAULT_CONNECT_TIMEOUT_MS). */
  readonly connectTimeoutMs?: number;
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

/** The admin-only security calls (`orchard credentials create`, `orchard secrets reencrypt`). */
export interface AdminApi {
  createCredentials(req: CreateCredentialsRequest): Promise<CreateCredentialsResponse>;
  reencryptSecrets(): Promise<ReencryptSecretsResponse>;
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

/** grpc-js's words for a stream the server refused before handling it (nothing was done). */
const REFUSED_UNHANDLED = /^Stream refused by server/;

type Unary<Req, Res> = (
  client: ClusterServiceClient,
  req: Req,
  deadline: Date,
  cb: (err: ServiceError | null, res: Res) => void,
) => void;

/** A read may be asked of several masters; a write goes to one unless it surely was not applied. */
type CallKind = 'read' | 'write';

/** Why one master gave no answer, and whether the call can go to the next one. */
interface Miss {
  readonly addr: string;
  /** For the message: "127.0.0.1:7443: connect ECONNREFUSED ...". */
  readonly problem: string;
  /** The master answered that etcd is unavailable (it is up; etcd is the news). */
  readonly storeDown: boolean;
  /** The master did not answer within the request deadline. */
  readonly deadline: boolean;
}

/** A call's outcome at one master: its answer, a final error, or a miss (try the next). */
type Outcome<Res> = { ok: true; res: Res } | { ok: false; final: Error } | { ok: false; miss: Miss };

/**
 * The cluster API over gRPC with failover: a call goes to the master that answered last;
 * when it cannot be reached the next address is tried, so the CLI keeps working while any
 * master is up. Other errors are the answer and are returned as typed errors
 * (fromServiceError).
 *
 * A master that accepts TCP but never completes the handshake (a frozen process) is given
 * up after the connect timeout. Reads that a connected master has not answered within the
 * connect timeout are also asked of the next master, and the first answer wins. A write
 * (apply, delete, token and admin calls) is sent to one master only, and is tried on the next one
 * only when it surely was not applied (no connection, or refused before being handled):
 * once sent, a write that gets no answer is reported as "may or may not have been
 * applied", never resent blindly.
 */
export class GrpcClusterClient implements ClusterApi, TokenApi, AdminApi {
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

  private get connectTimeoutMs(): number {
    return this.opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  private clientFor(addr: string): ClusterServiceClient {
    let c = this.clients.get(addr);
    if (!c) {
      c = new ClusterServiceClient(addr, this.opts.credentials ?? credentials.createInsecure());
      this.clients.set(addr, c);
    }
    return c;
  }

  /** The addresses in the order to try them: the one that answered last first. */
  private order(): number[] {
    const n = this.opts.servers.length;
    return Array.from({ length: n }, (_, i) => (this.current + i) % n);
  }

  /** Waits for a connection to addr (at most the connect timeout); a miss when none came. */
  private async reach(addr: string, deadlineMs: number): Promise<{ standing: ChannelStanding; miss?: Miss }> {
    const connectMs = this.connectTimeoutMs;
    const standing = await waitChannel(this.clientFor(addr).getChannel(), Math.min(deadlineMs, Date.now() + connectMs));
    if (standing !== 'timeout') return { standing };
    const problem = `no connection within ${seconds(connectMs)} (connect timeout; the master may be frozen or cut off)`;
    return { standing, miss: { addr, problem, storeDown: false, deadline: false } };
  }

  /** One call at one master, classified. */
  private async attempt<Req, Res>(idx: number, call: Unary<Req, Res>, req: Req, kind: CallKind, deadlineMs: number): Promise<Outcome<Res>> {
    const addr = this.opts.servers[idx]!;
    const { standing, miss } = await this.reach(addr, deadlineMs);
    if (miss) return { ok: false, miss };
    try {
      const res = await new Promise<Res>((resolve, reject) => {
        call(this.clientFor(addr), req, new Date(deadlineMs), (err, r) => (err ? reject(err) : resolve(r)));
      });
      return { ok: true, res };
    } catch (err) {
      const e = err as Partial<ServiceError>;
      const timeoutText = seconds(this.opts.timeoutMs);
      if (e.code === GrpcStatus.DEADLINE_EXCEEDED) {
        if (kind === 'write') return { ok: false, final: maybeApplied(addr, `no answer within ${timeoutText}`, err) };
        return { ok: false, miss: { addr, problem: `did not answer within ${timeoutText}`, storeDown: false, deadline: true } };
      }
      if (e.code !== GrpcStatus.UNAVAILABLE) return { ok: false, final: fromServiceError(err) };
      // A master that answered "etcd is unavailable" is reachable: its words are the news.
      const storeDown = STORE_UNAVAILABLE.test(e.details ?? '');
      const m: Miss = { addr, problem: storeDown ? e.details! : connectionProblem(e), storeDown, deadline: false };
      if (kind === 'read') return { ok: false, miss: m };
      // Every master shares one etcd: another would answer the same, and this one may have
      // written before etcd stopped answering it.
      if (storeDown) return { ok: false, final: new UnavailableError(`etcd is unavailable: the master could not reach a quorum of etcd members; retry when etcd is back (${addr}: ${m.problem})`, { cause: err }) };
      // Not connected when the call started, or refused unhandled: the master never saw it.
      if (standing === 'failing' || REFUSED_UNHANDLED.test(e.details ?? '')) return { ok: false, miss: m };
      return { ok: false, final: maybeApplied(addr, `the connection broke (${m.problem})`, err) };
    }
  }

  private async unary<Req, Res>(call: Unary<Req, Res>, req: Req, kind: CallKind): Promise<Res> {
    const deadlineMs = Date.now() + this.opts.timeoutMs;
    if (kind === 'read') return this.race(call, req, deadlineMs);
    const misses: Miss[] = [];
    for (const idx of this.order()) {
      const out = await this.attempt(idx, call, req, 'write', deadlineMs);
      if (out.ok) {
        this.current = idx;
        return out.res;
      }
      if ('final' in out) throw out.final;
      misses.push(out.miss);
      if (Date.now() >= deadlineMs) break;
    }
    throw unreachable(misses);
  }

  /**
   * A read: asked of the first master; when that one has not answered within the connect
   * timeout (or missed), of the next as well, and so on. The first answer (or final error)
   * wins; the calls still under way are left to end on their own.
   */
  private race<Req, Res>(call: Unary<Req, Res>, req: Req, deadlineMs: number): Promise<Res> {
    const order = this.order();
    const misses: Miss[] = [];
    return new Promise<Res>((resolve, reject) => {
      let started = 0;
      let pending = 0;
      let done = false;
      const launch = (): void => {
        if (done || started >= order.length) return;
        const idx = order[started++]!;
        pending++;
        const hedge = setTimeout(launch, this.connectTimeoutMs);
        void this.attempt(idx, call, req, 'read', deadlineMs).then((out) => {
          clearTimeout(hedge);
          pending--;
          if (done) return;
          if (out.ok) {
            done = true;
            this.current = idx;
            return resolve(out.res);
          }
          if ('final' in out) {
            done = true;
            return reject(out.final);
          }
          misses.push(out.miss);
          // Another attempt under way has its own hedge timer; with none, go on at once.
          if (pending > 0) return;
          if (started < order.length) return launch();
          done = true;
          reject(unreachable(misses));
        });
      };
      launch();
    });
  }

  apply(req: ApplyRequest): Promise<ApplyResponse> {
    return this.unary<ApplyRequest, ApplyResponse>((c, r, deadline, cb) => c.apply(r, new Metadata(), { deadline }, cb), req, 'write');
  }

  get(req: GetRequest): Promise<ApiObject> {
    return this.unary<GetRequest, ApiObject>((c, r, deadline, cb) => c.get(r, new Metadata(), { deadline }, cb), req, 'read');
  }

  list(req: ListRequest): Promise<ListResponse> {
    return this.unary<ListRequest, ListResponse>((c, r, deadline, cb) => c.list(r, new Metadata(), { deadline }, cb), req, 'read');
  }

  delete(req: DeleteRequest): Promise<DeleteResponse> {
    return this.unary<DeleteRequest, DeleteResponse>((c, r, deadline, cb) => c.delete(r, new Metadata(), { deadline }, cb), req, 'write');
  }

  listMasters(): Promise<ListMastersResponse> {
    return this.unary<object, ListMastersResponse>((c, r, deadline, cb) => c.listMasters(r, new Metadata(), { deadline }, cb), {}, 'read');
  }

  top(req: TopRequest): Promise<TopResponse> {
    return this.unary<TopRequest, TopResponse>((c, r, deadline, cb) => c.top(r, new Metadata(), { deadline }, cb), req, 'read');
  }

  createToken(req: CreateTokenRequest): Promise<CreateTokenResponse> {
    return this.unary<CreateTokenRequest, CreateTokenResponse>((c, r, deadline, cb) => c.createToken(r, new Metadata(), { deadline }, cb), req, 'write');
  }

  listTokens(): Promise<ListTokensResponse> {
    return this.unary<object, ListTokensResponse>((c, r, deadline, cb) => c.listTokens(r, new Metadata(), { deadline }, cb), {}, 'read');
  }

  async deleteToken(id: string): Promise<void> {
    await this.unary<{ id: string }, unknown>((c, r, deadline, cb) => c.deleteToken(r, new Metadata(), { deadline }, cb), { id }, 'write');
  }

  /** A write: each answer is a new certificate (and an audit record), so a sent request is never resent. */
  createCredentials(req: CreateCredentialsRequest): Promise<CreateCredentialsResponse> {
    return this.unary<CreateCredentialsRequest, CreateCredentialsResponse>((c, r, deadline, cb) => c.createCredentials(r, new Metadata(), { deadline }, cb), req, 'write');
  }

  /**
   * Idempotent (only Secrets not under the current key are rewritten; a second run picks
   * up where one stopped), yet sent as a write: a run over many Secrets pauses between
   * batches and can outlast the connect timeout, and as a read it would then be started
   * again on the next master, two runs competing for the same Secrets. When the answer is
   * lost, running the command again is safe.
   */
  reencryptSecrets(): Promise<ReencryptSecretsResponse> {
    return this.unary<object, ReencryptSecretsResponse>((c, r, deadline, cb) => c.reencryptSecrets(r, new Metadata(), { deadline }, cb), {}, 'write');
  }

  async watch(req: WatchRequest, onEvent: (ev: WatchEvent) => void, signal?: AbortSignal): Promise<void> {
    const misses: Miss[] = [];
    for (const idx of this.order()) {
      const addr = this.opts.servers[idx]!;
      const { miss } = await this.reach(addr, Date.now() + this.connectTimeoutMs);
      if (miss) {
        misses.push(miss);
        continue;
      }
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
        const storeDown = STORE_UNAVAILABLE.test(e.details ?? '');
        misses.push({ addr, problem: storeDown ? e.details! : connectionProblem(e), storeDown, deadline: false });
      }
    }
    throw unreachable(misses);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

/** "3s", "0.2s": a duration in seconds for messages. */
function seconds(ms: number): string {
  return `${ms / 1000}s`;
}

/** A write that was sent and got no answer: it may have been applied, so it is not resent. */
function maybeApplied(addr: string, why: string, cause: unknown): UnavailableError {
  return new UnavailableError(
    `the request was sent to ${addr} but ${why}; it may or may not have been applied, so it was not sent to another master: ` +
      'check with `orchard get` and retry if needed',
    { cause },
  );
}

/** The error once no master answered: etcd's state when a master said so, else every address's problem. */
function unreachable(misses: readonly Miss[]): UnavailableError {
  const list = misses.map((m) => `${m.addr}: ${m.problem}`).join('; ');
  if (misses.some((m) => m.storeDown)) {
    return new UnavailableError(`etcd is unavailable: no master can reach a quorum of etcd members; retry when etcd is back (${list})`);
  }
  if (misses.length === 1 && misses[0]!.deadline) return new UnavailableError(`the server ${misses[0]!.addr} ${misses[0]!.problem}`);
  return new UnavailableError(`cannot reach any master (${list})`);
}
