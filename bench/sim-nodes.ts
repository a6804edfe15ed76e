/**
 * The simulated-node load generator: one process holding many node streams to real
 * masters, each speaking the agent's protocol (Hello with capacity, heartbeats at the
 * Welcome's interval, optionally a Running status for every pod it is given). No Docker:
 * it measures the control plane alone.
 */
import type { ChannelCredentials, ClientDuplexStream } from '@grpc/grpc-js';
import { AgentMessage, Hello, NodeServiceClient, NodeStatus, PodStatus, type MasterMessage, type Pod } from '@orchard/api';
import type { BenchCredentials } from './credentials';

export interface SimNodesOptions {
  /** Master addresses (HOST:PORT); a node whose stream breaks moves on to the next. */
  servers: readonly string[];
  /** node-0001 .. node-NNNN. */
  count: number;
  /** Report every pod given to a node as Running at once (costs the master a status write per pod). */
  ack: boolean;
  /** Where each node's stream credentials come from (bench/credentials.ts). */
  credentials: BenchCredentials;
  /** Node streams per HTTP/2 connection (without TLS; with it every node has its own certificate, so its own connection). */
  streamsPerConnection?: number;
  cpu?: string;
  memory?: string;
  maxPods?: number;
  /** Images the nodes report having, with their platforms. */
  images?: readonly string[];
}

/** What a simulated node saw of one pod. */
export interface PodSighting {
  node: string;
  /** performance.now() when the pod first arrived in the node's DesiredPods. */
  at: number;
}

interface SimNode {
  name: string;
  creds?: ChannelCredentials;
  stream?: ClientDuplexStream<AgentMessage, MasterMessage>;
  serverIndex: number;
  heartbeat?: NodeJS.Timeout;
  welcomed: boolean;
  seq: number;
  acked: Set<string>;
}

/** Many simulated nodes in this process, each with its own stream. */
export class SimNodes {
  /** Pod uid -> where and when it first arrived. */
  readonly sightings = new Map<string, PodSighting>();
  /** Pod "namespace/name" -> uid of what arrived (for lookups by name). */
  readonly byName = new Map<string, string>();
  private readonly nodes: SimNode[] = [];
  private readonly clients: NodeServiceClient[] = [];
  private stopped = false;
  private listeners: Array<(pod: Pod, node: string) => void> = [];
  /** Reconnects, counted (failover shows here). */
  reconnects = 0;

  constructor(private readonly opts: SimNodesOptions) {
    for (let i = 1; i <= opts.count; i++) {
      this.nodes.push({ name: `node-${String(i).padStart(4, '0')}`, serverIndex: 0, welcomed: false, seq: 0, acked: new Set() });
    }
  }

  /** Called for every pod the first time it reaches a node. */
  onPod(fn: (pod: Pod, node: string) => void): void {
    this.listeners.push(fn);
  }

  /** Opens every stream; resolves once every node was welcomed. */
  async start(timeoutMs = 60_000): Promise<void> {
    for (const n of this.nodes) n.creds = await this.opts.credentials.node(n.name);
    for (const n of this.nodes) this.open(n);
    const deadline = Date.now() + timeoutMs;
    while (this.nodes.some((n) => !n.welcomed)) {
      if (Date.now() > deadline) throw new Error(`${this.nodes.filter((n) => !n.welcomed).length} of ${this.nodes.length} simulated nodes not welcomed after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  get welcomedCount(): number {
    return this.nodes.filter((n) => n.welcomed).length;
  }

  stop(): void {
    this.stopped = true;
    for (const n of this.nodes) {
      clearTimeout(n.heartbeat);
      n.stream?.cancel();
    }
    for (const c of this.clients) c.close();
  }

  private client(nodeIndex: number, server: string, creds: ChannelCredentials): NodeServiceClient {
    const per = this.opts.credentials.tls ? 1 : (this.opts.streamsPerConnection ?? 100);
    const slot = Math.floor(nodeIndex / per);
    const key = `${server}#${slot}`;
    const found = (this.clients as Array<NodeServiceClient & { key?: string }>).find((c) => c.key === key);
    if (found) return found;
    // A pool of its own per client: otherwise grpc-js shares one connection for all.
    const c = new NodeServiceClient(server, creds, { 'grpc.use_local_subchannel_pool': 1 }) as NodeServiceClient & { key?: string };
    c.key = key;
    this.clients.push(c);
    return c;
  }

  private open(n: SimNode): void {
    if (this.stopped) return;
    const server = this.opts.servers[n.serverIndex % this.opts.servers.length]!;
    const stream = this.client(this.nodes.indexOf(n), server, n.creds!).connect();
    n.stream = stream;
    n.welcomed = false;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      clearTimeout(n.heartbeat);
      if (n.stream !== stream || this.stopped) return;
      n.welcomed = false;
      n.serverIndex++;
      this.reconnects++;
      // Like the agent, a short pause before the next master (the agent adds back-off).
      setTimeout(() => this.open(n), 100);
    };
    stream.on('error', end);
    stream.on('end', end);
    stream.on('close', end);
    stream.on('data', (m: MasterMessage) => this.onMessage(n, stream, m));
    stream.write(AgentMessage.fromPartial({ message: { $case: 'hello', hello: this.hello(n) } }));
  }

  private onMessage(n: SimNode, stream: ClientDuplexStream<AgentMessage, MasterMessage>, m: MasterMessage): void {
    const msg = m.message;
    if (!msg) return;
    if (msg.$case === 'welcome') {
      n.welcomed = true;
      const every = msg.welcome.heartbeatIntervalMs || 1000;
      const beat = () => {
        if (n.stream !== stream) return;
        stream.write(AgentMessage.fromPartial({ message: { $case: 'heartbeat', heartbeat: { sequence: ++n.seq } } }));
        n.heartbeat = setTimeout(beat, every);
      };
      n.heartbeat = setTimeout(beat, every);
      return;
    }
    if (msg.$case !== 'desiredPods') return;
    const now = performance.now();
    for (const pod of msg.desiredPods.pods) {
      const meta = pod.metadata;
      if (!meta) continue;
      if (!this.sightings.has(meta.uid)) {
        this.sightings.set(meta.uid, { node: n.name, at: now });
        this.byName.set(`${meta.namespace}/${meta.name}`, meta.uid);
        for (const fn of this.listeners) fn(pod, n.name);
      }
      if (this.opts.ack && !n.acked.has(meta.uid) && !meta.deletionTimestamp) {
        n.acked.add(meta.uid);
        const ts = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
        const status = PodStatus.fromPartial({ phase: 'Running', startTime: ts, conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ts }] });
        stream.write(AgentMessage.fromPartial({ message: { $case: 'podStatus', podStatus: { namespace: meta.namespace, name: meta.name, uid: meta.uid, status } } }));
      }
    }
  }

  private hello(n: SimNode): Hello {
    const o = this.opts;
    const capacity = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: String(o.maxPods ?? 110) };
    return Hello.fromPartial({
      nodeName: n.name,
      labels: { 'kubernetes.io/hostname': n.name, 'kubernetes.io/arch': 'amd64', 'kubernetes.io/os': 'linux' },
      agentVersion: 'sim',
      status: NodeStatus.fromPartial({
        capacity,
        allocatable: capacity,
        addresses: [{ type: 'Hostname', address: n.name }],
        nodeInfo: { architecture: 'amd64', operatingSystem: 'linux' },
        images: (o.images ?? []).map((name) => ({ names: [name], sizeBytes: 1, platforms: ['linux/amd64'] })),
      }),
    });
  }
}
