import { status as GrpcStatus, type ServerDuplexStream, type ServerWritableStream } from '@grpc/grpc-js';
import {
  BadRequestError,
  ExecServerMessage,
  LogChunk,
  OrchardError,
  toServiceError,
  type ClusterServiceServer,
  type ExecClientMessage,
  type Logger,
  type LogsRequest,
  type MasterInfo,
} from '@orchard/api';
import type { ObjectStore } from '../store/object-store';
import { OutboundQueue } from './outbound-queue';
import { POD_KIND, resolvePodTarget, type PodTarget } from './pod-target';
import { NodeNotConnectedError, type RelaySession, type SessionOutput, type SessionRelay } from './session-relay';

/** A client that leaves too much output unread. */
export class ClientTooSlowError extends OrchardError {
  override readonly code = GrpcStatus.RESOURCE_EXHAUSTED;
}

/** Output a slow client may leave unread before its session is given up. */
export const CLIENT_BACKLOG_LIMIT_BYTES = 8 << 20;

export interface StreamHandlerDeps {
  readonly store: ObjectStore;
  readonly relay: SessionRelay;
  readonly masterName: string;
  readonly log: Logger;
  /** Every master of the cluster, to tell a client where else a node may be connected. */
  listMasters(): Promise<MasterInfo[]>;
}

/** The gRPC handlers of Logs and Exec: resolve the pod, open a session on its node, relay. */
export function streamHandlers(deps: StreamHandlerDeps): Pick<ClusterServiceServer, 'logs' | 'exec'> {
  return {
    logs: (call) => serveLogs(deps, call),
    exec: (call) => serveExec(deps, call),
  };
}

/**
 * The node of the target must have its stream on this master. When it does not, the
 * client gets UNAVAILABLE naming the other masters: the CLI retries there, as it does
 * for a master that is down.
 */
async function targetOf(deps: StreamHandlerDeps, namespace: string, name: string, container: string): Promise<PodTarget> {
  const ns = namespace || 'default';
  const target = resolvePodTarget(await deps.store.tryGet(POD_KIND, ns, name), ns, name, container);
  if (!deps.relay.isConnected(target.node)) throw await notHere(deps, target.node);
  return target;
}

async function notHere(deps: StreamHandlerDeps, node: string): Promise<Error> {
  const others = (await deps.listMasters().catch(() => [] as MasterInfo[])).filter((m) => m.name !== deps.masterName);
  const where = others.length > 0 ? `; it may be connected to ${others.map((m) => `master ${m.name} (${m.address})`).join(' or ')}: retry against it` : '';
  return new NodeNotConnectedError(`node ${node} is not connected to master ${deps.masterName}${where}`);
}

/** Ends a call with the status of err (a typed error keeps its code). */
function failCall(call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>, err: unknown): void {
  if (call.cancelled || call.destroyed) return;
  const se = toServiceError(err);
  // grpc-js turns an 'error' event into the call's status and ends the stream.
  call.emit('error', Object.assign(new Error(se.details ?? (err as Error).message), se));
}

function logRefusal(log: Logger, method: string, err: unknown): void {
  if (err instanceof OrchardError) log.debug({ method, err: err.message }, 'request refused');
  else log.error({ method, err }, 'request failed');
}

function outputBytes(o: { data?: Buffer; message?: ExecServerMessage['message'] }): number {
  const m = o.message;
  if (o.data) return o.data.length;
  return m?.$case === 'stdout' ? m.stdout.length : m?.$case === 'stderr' ? m.stderr.length : 16;
}

function overflowError(): Error {
  return new ClientTooSlowError(`the client read its output too slowly (over ${CLIENT_BACKLOG_LIMIT_BYTES >> 20} MiB waiting); the session was ended`);
}

function serveLogs(deps: StreamHandlerDeps, call: ServerWritableStream<LogsRequest, LogChunk>): void {
  const req = call.request;
  let session: RelaySession | undefined;
  let done = false;
  const finish = (err?: unknown) => {
    if (done) return;
    done = true;
    session?.close();
    if (err) {
      logRefusal(deps.log, 'Logs', err);
      failCall(call, err);
    } else if (!call.cancelled) call.end();
  };
  call.on('cancelled', () => finish());
  const queue = new OutboundQueue<LogChunk>(
    (c) => call.write(c),
    (c) => c.data.length,
    CLIENT_BACKLOG_LIMIT_BYTES,
    () => finish(overflowError()),
  );
  call.on('drain', () => queue.drain());
  targetOf(deps, req.namespace, req.name, req.container).then(
    (target) => {
      if (done) return;
      session = deps.relay.open(target.node, { $case: 'logs', logs: { ...req, namespace: target.namespace, container: target.container } }, {
        output: (o: SessionOutput) => {
          if (done) return;
          if (o.$case === 'stdout') queue.push(LogChunk.fromPartial({ data: o.stdout, stream: 'stdout' }));
          else if (o.$case === 'stderr') queue.push(LogChunk.fromPartial({ data: o.stderr, stream: 'stderr' }));
          else if (o.exit.error) finish(new BadRequestError(o.exit.error));
          else queue.whenFlushed(() => finish());
        },
        fail: (err) => finish(err),
      });
    },
    (err: unknown) => finish(err),
  );
}

function serveExec(deps: StreamHandlerDeps, call: ServerDuplexStream<ExecClientMessage, ExecServerMessage>): void {
  let session: RelaySession | undefined;
  let started = false;
  let done = false;
  // Input that arrives while the pod is being resolved, sent once the session is open.
  const early: ExecClientMessage[] = [];
  const finish = (err?: unknown) => {
    if (done) return;
    done = true;
    session?.close();
    if (err) {
      logRefusal(deps.log, 'Exec', err);
      failCall(call, err);
    } else if (!call.cancelled) call.end();
  };
  const queue = new OutboundQueue<ExecServerMessage>(
    (m) => call.write(m),
    (m) => outputBytes({ message: m.message }),
    CLIENT_BACKLOG_LIMIT_BYTES,
    () => finish(overflowError()),
  );
  const relayInput = (m: ExecClientMessage) => {
    const msg = m.message;
    if (!msg || !session) return;
    if (msg.$case === 'stdin') session.input({ $case: 'stdin', stdin: msg.stdin });
    else if (msg.$case === 'resize') session.input({ $case: 'resize', resize: msg.resize });
    else if (msg.$case === 'stdinClose') session.input({ $case: 'stdinClose', stdinClose: true });
    else finish(new BadRequestError('ExecStart may only be the first message of an exec'));
  };
  call.on('cancelled', () => finish());
  call.on('error', () => finish());
  call.on('drain', () => queue.drain());
  call.on('data', (m: ExecClientMessage) => {
    if (done) return;
    if (!started) {
      started = true;
      if (m.message?.$case !== 'start') {
        finish(new BadRequestError(`expected ExecStart as the first message, got ${m.message?.$case ?? 'an empty message'}`));
        return;
      }
      const start = m.message.start;
      if (start.command.length === 0) {
        finish(new BadRequestError('you must specify at least one command for the container'));
        return;
      }
      targetOf(deps, start.namespace, start.name, start.container).then(
        (target) => {
          if (done) return;
          session = deps.relay.open(target.node, { $case: 'exec', exec: { ...start, namespace: target.namespace, container: target.container } }, {
            output: (o: SessionOutput) => {
              if (done) return;
              if (o.$case === 'exit' && o.exit.error) {
                finish(new BadRequestError(o.exit.error));
                return;
              }
              queue.push(ExecServerMessage.fromPartial({ message: o }));
              if (o.$case === 'exit') queue.whenFlushed(() => finish());
            },
            fail: (err) => finish(err),
          });
          for (const e of early.splice(0)) relayInput(e);
        },
        (err: unknown) => finish(err),
      );
      return;
    }
    if (!session) early.push(m);
    else relayInput(m);
  });
  // The client half-closed without saying stdin_close: its input has ended all the same.
  call.on('end', () => {
    if (done) return;
    const eof: ExecClientMessage = { message: { $case: 'stdinClose', stdinClose: true } };
    if (!session) early.push(eof);
    else relayInput(eof);
  });
}
