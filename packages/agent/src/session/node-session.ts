import { connectivityState, credentials as grpcCredentials, type ChannelCredentials, type ClientDuplexStream } from '@grpc/grpc-js';
import {
  NodeServiceClient,
  type AgentMessage,
  type Clock,
  type DesiredPods,
  type Hello,
  type Logger,
  type MasterMessage,
  type NodeStatus,
  type PodStatusUpdate,
  type StreamOutput,
  type UsageReport,
} from '@orchard/api/agent';
import { DEFAULT_RECONNECT, reconnectDelay, type ReconnectPolicy } from './reconnect-delay';

/** Opens the node stream to one master; tests replace it. */
export type StreamFactory = (address: string) => {
  stream: ClientDuplexStream<AgentMessage, MasterMessage>;
  close(): void;
  /** True once the transport is connected (TCP and TLS handshakes done); absent: unknown. */
  connected?(): boolean;
};

/** How the transport notices a master that stopped answering (HTTP/2 pings). */
export interface KeepaliveOptions {
  /** A ping this often, with or without traffic. */
  timeMs: number;
  /** A ping unanswered this long drops the connection. */
  timeoutMs: number;
}

/**
 * A ping every half second, given 1.5 s to come back: a frozen or cut-off master is
 * noticed within 2 s, before the node's lease (the grace period, 4 s by default, counted
 * from the last heartbeat) can run out, so the agent is on another master before its node
 * could be marked NotReady. The answer time is what a false alarm depends on (a master
 * stalled by a burst of work); a false alarm costs only a reconnect: the lease is not
 * revoked when a stream ends. A ping is a few bytes; masters (grpc-js) do not limit how
 * often clients ping.
 */
export const DEFAULT_KEEPALIVE: KeepaliveOptions = { timeMs: 500, timeoutMs: 1_500 };

/**
 * The default transport: one gRPC channel per master address, kept alive with pings.
 * `credentials` is asked on every connect: when it returns new ones (a renewed
 * certificate) the channel is rebuilt with them. The agent passes mutual-TLS credentials
 * (session/credentials.ts); plaintext is for in-process tests.
 */
export function grpcStreamFactory(credentials: () => ChannelCredentials = plaintext(), keepalive: KeepaliveOptions = DEFAULT_KEEPALIVE): StreamFactory {
  const clients = new Map<string, NodeServiceClient>();
  const usedCredentials = new Map<string, ChannelCredentials>();
  return (address) => {
    let client = clients.get(address);
    const creds = credentials();
    if (client && usedCredentials.get(address) !== creds) {
      client.close();
      client = undefined;
    }
    if (!client) {
      usedCredentials.set(address, creds);
      client = new NodeServiceClient(address, creds, {
        // A master that stopped answering without closing TCP (frozen, power cut,
        // partition) is noticed within seconds instead of never.
        'grpc.keepalive_time_ms': keepalive.timeMs,
        'grpc.keepalive_timeout_ms': keepalive.timeoutMs,
        'grpc.keepalive_permit_without_calls': 1,
        // Reconnect timing is the session's (reconnect-delay.ts), not the channel's.
        'grpc.initial_reconnect_backoff_ms': 200,
        'grpc.max_reconnect_backoff_ms': 1_000,
      });
      clients.set(address, client);
    }
    const c = client;
    return {
      stream: c.connect(),
      close: () => {
        c.close();
        clients.delete(address);
      },
      connected: () => c.getChannel().getConnectivityState(false) === connectivityState.READY,
    };
  };
}

function plaintext(): () => ChannelCredentials {
  const insecure = grpcCredentials.createInsecure();
  return () => insecure;
}

export interface NodeSessionOptions {
  /** Master addresses (HOST:PORT); tried in turn. */
  servers: readonly string[];
  /** Builds the Hello (fresh node status) for each connection. */
  hello: () => Promise<Hello>;
  /** A new desired set from the master. */
  onDesiredPods: (set: DesiredPods) => void;
  /** Every current pod status, resent after each (re)connect. */
  currentStatuses: () => PodStatusUpdate[];
  /** Called after a connection attempt fails or an established stream breaks. */
  onDisconnected?: (err: Error | undefined, everConnected: boolean) => void;
  /** A usage report to send every usageIntervalMs (the stats seam); undefined skips one. */
  usage?: () => Promise<UsageReport | undefined>;
  usageIntervalMs?: number;
  clock: Clock;
  random: () => number;
  logger: Logger;
  connect?: StreamFactory;
  reconnect?: ReconnectPolicy;
  /** A logs/exec session message from the master (stream_open, stream_input, stream_close). */
  onStreamMessage?: (m: StreamMessage) => void;
  /** The node stream's send buffer drained after sendStreamOutput returned false. */
  onDrain?: () => void;
  /** How long a master may take to complete the connection before the next is tried (CONNECT_TIMEOUT_MS). */
  connectTimeoutMs?: number;
}

/** The master's messages about logs and exec sessions. */
export type StreamMessage = Extract<NonNullable<MasterMessage['message']>, { $case: 'streamOpen' | 'streamInput' | 'streamClose' }>;

/** How long a master may take to answer Hello with Welcome. */
const WELCOME_TIMEOUT_MS = 15_000;

/**
 * How long the connection to a master (TCP and TLS handshakes) may take. A frozen master's
 * kernel accepts TCP but nothing completes the handshake: without this the agent would wait
 * for the welcome timeout before trying the next master.
 */
export const CONNECT_TIMEOUT_MS = 3_000;

/** A stream up this long counts as a success for the reconnect back-off. */
const STABLE_STREAM_MS = 10_000;

/** Default heartbeat interval until the master's Welcome says otherwise. */
const DEFAULT_HEARTBEAT_MS = 5_000;

/**
 * The agent's end of the node stream. Sends Hello first, follows Welcome's heartbeat
 * interval, hands DesiredPods to the reconciler, and reports pod status. When the
 * stream breaks it reconnects with exponential back-off and jitter across the server
 * list; the node's pods keep running meanwhile, and every current pod status is resent
 * once the stream is back.
 */
export class NodeSession {
  private readonly connectFn: StreamFactory;
  private current?: { stream: ClientDuplexStream<AgentMessage, MasterMessage>; close(): void; welcomed: boolean };
  private failures = 0;
  private serverIndex = 0;
  private everConnected = false;
  private stopped = false;
  private heartbeatTimer?: { cancel(): void };
  private reconnectTimer?: { cancel(): void };
  private usageTimer?: { cancel(): void };
  private sequence = 0;
  private welcomedAt = 0;

  constructor(private readonly opts: NodeSessionOptions) {
    if (opts.servers.length === 0) throw new Error('no master address given (--server)');
    this.connectFn = opts.connect ?? grpcStreamFactory();
  }

  /** Starts connecting; returns at once. */
  start(): void {
    this.stopped = false;
    void this.open();
    this.scheduleUsage();
  }

  /** Closes the stream; pods are not touched. */
  stop(): void {
    this.stopped = true;
    this.reconnectTimer?.cancel();
    this.heartbeatTimer?.cancel();
    this.usageTimer?.cancel();
    const cur = this.current;
    this.current = undefined;
    if (cur) {
      cur.stream.end();
      cur.stream.cancel();
      cur.close();
    }
  }

  /** True while a stream is open and the master has welcomed this node. */
  get connected(): boolean {
    return this.current?.welcomed === true;
  }

  /** Sends the node's status if connected; a reconnect sends it in the Hello anyway. */
  sendNodeStatus(status: NodeStatus): void {
    this.send({ message: { $case: 'nodeStatus', nodeStatus: { status } } });
  }

  /** Sends a pod status now if connected; otherwise it is resent after reconnecting. */
  sendPodStatus(update: PodStatusUpdate): void {
    this.send({ message: { $case: 'podStatus', podStatus: update } });
  }

  /**
   * Sends logs/exec session output. False when the stream's buffer is full (wait for
   * onDrain) or there is no stream (its sessions are gone with it).
   */
  sendStreamOutput(out: StreamOutput): boolean {
    const cur = this.current;
    if (!cur?.welcomed) return false;
    try {
      return cur.stream.write({ message: { $case: 'streamOutput', streamOutput: out } });
    } catch (err) {
      this.opts.logger.debug({ err }, 'write on node stream failed');
      return false;
    }
  }

  private send(msg: AgentMessage): boolean {
    const cur = this.current;
    if (!cur?.welcomed) return false;
    try {
      cur.stream.write(msg);
      return true;
    } catch (err) {
      // A write on a stream that just broke; the 'error' handler reconnects.
      this.opts.logger.debug({ err }, 'write on node stream failed');
      return false;
    }
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    const address = this.opts.servers[this.serverIndex % this.opts.servers.length]!;
    let hello: Hello;
    try {
      hello = await this.opts.hello();
    } catch (err) {
      this.opts.logger.error({ err }, 'failed to build node status for hello');
      this.retry(err as Error);
      return;
    }
    if (this.stopped) return;
    this.opts.logger.debug({ master: address }, 'connecting to master');
    let conn: ReturnType<StreamFactory>;
    try {
      conn = this.connectFn(address);
    } catch (err) {
      // An address the transport cannot use: try the next one.
      this.retry(new Error(`cannot connect to master ${address}: ${(err as Error).message}`, { cause: err }));
      return;
    }
    const entry = { ...conn, welcomed: false };
    this.current = entry;
    let ended = false;
    const onEnd = (err?: Error) => {
      if (ended) return;
      ended = true;
      if (this.current !== entry) return;
      this.current = undefined;
      this.heartbeatTimer?.cancel();
      conn.stream.cancel();
      if (!this.stopped) this.retry(err ?? new Error(`master ${address} closed the node stream`), entry.welcomed);
    };
    conn.stream.on('data', (msg: MasterMessage) => this.onMessage(entry, address, msg));
    conn.stream.on('error', (err: Error) => onEnd(err));
    conn.stream.on('end', () => onEnd());
    conn.stream.on('drain', () => this.opts.onDrain?.());
    conn.stream.on('close', () => onEnd());
    conn.stream.write({ message: { $case: 'hello', hello } });
    // A master that accepts the stream but never answers is as good as none.
    const welcomeTimer = this.opts.clock.setTimeout(() => {
      if (!entry.welcomed) onEnd(new Error(`master ${address} sent no welcome within ${WELCOME_TIMEOUT_MS} ms`));
    }, WELCOME_TIMEOUT_MS);
    // A master that has not even completed the connection by now is frozen or cut off.
    const connectMs = this.opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    const connectTimer = this.opts.clock.setTimeout(() => {
      if (!entry.welcomed && conn.connected?.() === false) onEnd(new Error(`master ${address}: no connection within ${connectMs} ms (connect timeout)`));
    }, connectMs);
    conn.stream.on('data', () => {
      if (!entry.welcomed) return;
      welcomeTimer.cancel();
      connectTimer.cancel();
    });
  }

  private onMessage(entry: NonNullable<NodeSession['current']>, address: string, msg: MasterMessage): void {
    const m = msg.message;
    if (!m) return;
    switch (m.$case) {
      case 'welcome': {
        entry.welcomed = true;
        this.welcomedAt = this.opts.clock.now();
        this.everConnected = true;
        this.opts.logger.info({ master: address, masterName: m.welcome.masterName }, 'connected to master');
        this.scheduleHeartbeat(m.welcome.heartbeatIntervalMs || DEFAULT_HEARTBEAT_MS);
        // The master may have missed changes while the stream was down.
        for (const update of this.opts.currentStatuses()) this.sendPodStatus(update);
        break;
      }
      case 'desiredPods':
        this.opts.onDesiredPods(m.desiredPods);
        break;
      case 'heartbeat':
        break;
      case 'streamOpen':
      case 'streamInput':
      case 'streamClose':
        this.opts.onStreamMessage?.(m);
        break;
    }
  }

  private scheduleHeartbeat(intervalMs: number): void {
    this.heartbeatTimer?.cancel();
    if (this.stopped) return;
    this.heartbeatTimer = this.opts.clock.setTimeout(() => {
      this.send({ message: { $case: 'heartbeat', heartbeat: { sequence: ++this.sequence } } });
      this.scheduleHeartbeat(intervalMs);
    }, intervalMs);
  }

  private scheduleUsage(): void {
    const { usage, usageIntervalMs } = this.opts;
    if (!usage || !usageIntervalMs || this.stopped) return;
    this.usageTimer = this.opts.clock.setTimeout(() => {
      void (async () => {
        if (this.connected) {
          try {
            const report = await usage();
            if (report) this.send({ message: { $case: 'usage', usage: report } });
          } catch (err) {
            this.opts.logger.warn({ err }, 'failed to sample resource usage');
          }
        }
        this.scheduleUsage();
      })();
    }, usageIntervalMs);
  }

  private retry(err: Error, wasWelcomed = false): void {
    // Only a stream that stayed up a while resets the back-off: a master that welcomes
    // and then drops every stream must not be hammered.
    if (wasWelcomed && this.opts.clock.now() - this.welcomedAt >= STABLE_STREAM_MS) this.failures = 0;
    this.failures++;
    this.serverIndex++;
    const delay = reconnectDelay(this.failures, this.opts.random, this.opts.reconnect ?? DEFAULT_RECONNECT);
    const level = wasWelcomed || this.failures === 1 ? 'warn' : 'debug';
    this.opts.logger[level]({ err: err.message, retryInMs: delay }, 'node stream down; reconnecting');
    this.opts.onDisconnected?.(err, this.everConnected);
    this.reconnectTimer = this.opts.clock.setTimeout(() => void this.open(), delay);
  }
}
