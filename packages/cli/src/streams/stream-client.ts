import { Metadata, credentials, status as GrpcStatus, type ChannelCredentials, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import {
  ClusterServiceClient,
  UnavailableError,
  fromServiceError,
  type ExecClientMessage,
  type ExecServerMessage,
  type ExecStart,
  type LogChunk,
  type LogsRequest,
} from '@orchard/api';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../client';
import { waitChannel } from '../channel-ready';

/** Output of a remote command, as it arrives. */
export interface ExecOutput {
  stdout(data: Buffer): void;
  stderr(data: Buffer): void;
}

/** A running `orchard exec`. */
export interface ExecCall {
  stdin(data: Buffer): void;
  closeStdin(): void;
  resize(width: number, height: number): void;
  /** Abandons the command (Ctrl-C of a non-interactive exec). */
  cancel(): void;
  /** The remote command's exit code; rejects with a typed error when it could not run. */
  readonly exitCode: Promise<number>;
}

/** The streaming calls of the cluster API: logs and exec. */
export interface StreamApi {
  /** Streams a container's log to onChunk until it ends (resolves), fails (rejects) or signal aborts (resolves). */
  logs(req: LogsRequest, onChunk: (c: LogChunk) => void, signal?: AbortSignal): Promise<void>;
  exec(start: ExecStart, out: ExecOutput): ExecCall;
  close(): void;
}

export interface StreamClientOptions {
  /** Master addresses, tried in order while a master is unavailable or does not hold the pod's node. */
  readonly servers: readonly string[];
  readonly credentials?: ChannelCredentials;
  /** Time to connect to one master before the next is tried (DEFAULT_CONNECT_TIMEOUT_MS). */
  readonly connectTimeoutMs?: number;
}

/** Input kept for a retry on another master until the first answer; past this it is not kept (no retry). */
const REPLAY_LIMIT_BYTES = 1 << 20;

/**
 * Logs and exec over gRPC. A session is served by the master holding the node's
 * stream; any other master answers UNAVAILABLE naming it. So, like every call of the
 * CLI, a session goes to the next address while the answer is UNAVAILABLE and nothing
 * has been received yet; the input of an exec is replayed to the next master.
 */
export class GrpcStreamClient implements StreamApi {
  private readonly clients = new Map<string, ClusterServiceClient>();

  constructor(private readonly opts: StreamClientOptions) {
    if (opts.servers.length === 0) throw new Error('no server address given');
  }

  private clientFor(addr: string): ClusterServiceClient {
    let c = this.clients.get(addr);
    if (!c) {
      c = new ClusterServiceClient(addr, this.opts.credentials ?? credentials.createInsecure());
      this.clients.set(addr, c);
    }
    return c;
  }

  /** A failure text when addr does not complete the connection within the connect timeout (a frozen master). */
  private async unreached(addr: string): Promise<string | undefined> {
    const ms = this.opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    if ((await waitChannel(this.clientFor(addr).getChannel(), Date.now() + ms)) !== 'timeout') return undefined;
    return `${addr}: no connection within ${ms / 1000}s (connect timeout; the master may be frozen or cut off)`;
  }

  async logs(req: LogsRequest, onChunk: (c: LogChunk) => void, signal?: AbortSignal): Promise<void> {
    const failures: string[] = [];
    for (const addr of this.opts.servers) {
      const unreached = await this.unreached(addr);
      if (unreached) {
        failures.push(unreached);
        continue;
      }
      let received = false;
      try {
        await new Promise<void>((resolve, reject) => {
          const stream = this.clientFor(addr).logs(req, new Metadata());
          const abort = () => {
            stream.cancel();
            resolve();
          };
          if (signal?.aborted) return abort();
          signal?.addEventListener('abort', abort, { once: true });
          stream.on('data', (c: LogChunk) => {
            received = true;
            onChunk(c);
          });
          stream.on('end', () => resolve());
          stream.on('error', (err: ServiceError) => (err.code === GrpcStatus.CANCELLED && signal?.aborted ? resolve() : reject(err)));
        });
        return;
      } catch (err) {
        const e = err as Partial<ServiceError>;
        if (e.code !== GrpcStatus.UNAVAILABLE || received) throw fromServiceError(err);
        failures.push(`${addr}: ${e.details || e.message}`);
      }
    }
    throw new UnavailableError(failures.length === 1 ? failures[0]!.replace(/^[^ ]+ /, '') : `no master could serve the request (${failures.join('; ')})`);
  }

  exec(start: ExecStart, out: ExecOutput): ExecCall {
    const sent: ExecClientMessage[] = [{ message: { $case: 'start', start } }];
    let sentBytes = 0;
    let replayable = true;
    let answered = false;
    let cancelled = false;
    let stream: ClientDuplexStream<ExecClientMessage, ExecServerMessage> | undefined;
    const failures: string[] = [];
    const send = (m: ExecClientMessage) => {
      // Until a stream is open (connecting to the first master) everything is kept for it.
      if ((!answered && replayable) || !stream) {
        sent.push(m);
        sentBytes += m.message?.$case === 'stdin' ? m.message.stdin.length : 8;
        if (sentBytes > REPLAY_LIMIT_BYTES) replayable = false;
      }
      stream?.write(m);
    };
    const exitCode = new Promise<number>((resolve, reject) => {
      const attempt = async (i: number) => {
        const addr = this.opts.servers[i];
        if (addr === undefined) {
          reject(new UnavailableError(failures.length === 1 ? failures[0]!.replace(/^[^ ]+ /, '') : `no master could serve the request (${failures.join('; ')})`));
          return;
        }
        // Nothing was sent to a master that never completed the connection: try the next.
        const unreached = await this.unreached(addr);
        if (cancelled) return resolve(130);
        if (unreached) {
          failures.push(unreached);
          return void attempt(i + 1);
        }
        const s = (stream = this.clientFor(addr).exec(new Metadata()));
        let code: number | undefined;
        s.on('data', (m: ExecServerMessage) => {
          answered = true;
          const msg = m.message;
          if (msg?.$case === 'stdout') out.stdout(msg.stdout);
          else if (msg?.$case === 'stderr') out.stderr(msg.stderr);
          else if (msg?.$case === 'exit') code = msg.exit.exitCode;
        });
        s.on('status', (st: { code: GrpcStatus }) => {
          if (st.code !== GrpcStatus.OK) return; // 'error' has it
          if (code === undefined) reject(new UnavailableError('the exec session ended without an exit code'));
          else resolve(code);
        });
        s.on('error', (err: ServiceError) => {
          if (cancelled) return resolve(130);
          if (err.code === GrpcStatus.UNAVAILABLE && !answered && replayable) {
            failures.push(`${addr}: ${err.details || err.message}`);
            void attempt(i + 1);
            return;
          }
          reject(fromServiceError(err));
        });
        for (const m of sent) s.write(m);
      };
      void attempt(0);
    });
    return {
      stdin: (data) => send({ message: { $case: 'stdin', stdin: data } }),
      closeStdin: () => send({ message: { $case: 'stdinClose', stdinClose: true } }),
      resize: (width, height) => send({ message: { $case: 'resize', resize: { width, height } } }),
      cancel: () => {
        cancelled = true;
        stream?.cancel();
      },
      exitCode,
    };
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
