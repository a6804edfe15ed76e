import { MasterMessage, UnavailableError, type Logger, type StreamInput, type StreamOpen, type StreamOutput } from '@orchard/api';
import type { IdSource } from '../ids';
import type { NodeSend, NodeStreamHooks } from './node-links';

/** One piece of session output as the agent sent it. */
export type SessionOutput = NonNullable<StreamOutput['output']>;
/** One piece of session input for the agent. */
export type SessionInput = NonNullable<StreamInput['input']>;

/** Where a session's output goes (the client's gRPC call in production). */
export interface SessionSink {
  output(o: SessionOutput): void;
  /** The session cannot go on (its node's stream ended); called at most once. */
  fail(err: Error): void;
}

/** The master's end of one session. */
export interface RelaySession {
  readonly id: string;
  input(i: SessionInput): void;
  /** The client went away: the agent is told to stop the session. Idempotent. */
  close(): void;
}

/** The agent of a node has no stream on this master. */
export class NodeNotConnectedError extends UnavailableError {}

interface Entry {
  node: string;
  send: NodeSend;
  sink: SessionSink;
}

/**
 * Multiplexes logs and exec sessions over the node streams connected to this master.
 * The master picks the session id; the agent echoes it on every output. A session ends
 * with the agent's exit message, with the client closing it, or with its node stream
 * ending (the client is told so).
 */
export class SessionRelay implements NodeStreamHooks {
  private readonly links = new Map<string, NodeSend>();
  private readonly sessions = new Map<string, Entry>();

  constructor(private readonly deps: { ids: IdSource; log: Logger }) {}

  /** Whether the agent of `node` has a live stream on this master. */
  isConnected(node: string): boolean {
    return this.links.has(node);
  }

  /** Number of open sessions (for tests and metrics). */
  get openSessions(): number {
    return this.sessions.size;
  }

  /** Opens a session on the agent of `node`; throws NodeNotConnectedError when it is not connected here. */
  open(node: string, request: NonNullable<StreamOpen['request']>, sink: SessionSink): RelaySession {
    const send = this.links.get(node);
    if (!send) throw new NodeNotConnectedError(`node ${node} is not connected to this master`);
    const id = this.deps.ids.uuid();
    this.sessions.set(id, { node, send, sink });
    send(MasterMessage.fromPartial({ message: { $case: 'streamOpen', streamOpen: { streamId: id, request } } }));
    return {
      id,
      input: (input) => {
        const e = this.sessions.get(id);
        if (e) e.send(MasterMessage.fromPartial({ message: { $case: 'streamInput', streamInput: { streamId: id, input } } }));
      },
      close: () => {
        const e = this.sessions.get(id);
        if (!e) return;
        this.sessions.delete(id);
        e.send(MasterMessage.fromPartial({ message: { $case: 'streamClose', streamClose: { streamId: id } } }));
      },
    };
  }

  connected(node: string, send: NodeSend): void {
    this.links.set(node, send);
  }

  output(node: string, out: StreamOutput): void {
    const e = this.sessions.get(out.streamId);
    // Output of a session already closed (the client left first), or a forged id from another node.
    if (!e || e.node !== node || !out.output) return;
    if (out.output.$case === 'exit') this.sessions.delete(out.streamId);
    e.sink.output(out.output);
  }

  disconnected(node: string, send: NodeSend): void {
    if (this.links.get(node) === send) this.links.delete(node);
    for (const [id, e] of this.sessions) {
      if (e.node !== node || e.send !== send) continue;
      this.sessions.delete(id);
      this.deps.log.info({ node, session: id }, 'session ended: node stream closed');
      e.sink.fail(new UnavailableError(`the stream of node ${node} to this master ended; the session is lost`));
    }
  }
}
