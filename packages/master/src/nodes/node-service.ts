import type { ServerDuplexStream } from '@grpc/grpc-js';
import {
  AgentMessage,
  BadRequestError,
  ConflictError,
  DesiredPods,
  MasterMessage,
  Node,
  NodeStatus,
  NotFoundError,
  ObjectMeta,
  PodStatus,
  checkDns1123Subdomain,
  cloneObject,
  kindByCase,
  metaOf,
  rfc3339,
  toServiceError,
  unwrap,
  wrapNode,
  UnavailableError,
  type Clock,
  type Condition,
  type Hello,
  type Pod,
  type Logger,
  type NodeServiceServer,
  type PodStatusUpdate,
  type UsageReport,
} from '@orchard/api';
import type { IdSource } from '../ids';
import type { Informer } from '../store/cache';
import type { ObjectStore } from '../store/object-store';
import type { PodsByNode } from '../store/pods-by-node';
import { podReferences, type PodConfigObjects, type PodReferences } from './pod-references';
import { Coalescer } from './coalescer';
import { findCondition, setCondition } from './conditions';
import { NodeLeaseExpiredError, type NodeLease, type NodeLeases } from './node-lease';
import type { NodeSend, NodeStreamHooks } from '../streams/node-links';

/** Reason and message of the Ready condition while an agent's stream is up. */
export const AGENT_READY_REASON = 'AgentReady';
export const AGENT_READY_MESSAGE = 'orchard-agent is posting ready status';
/** The Ready=False reason when the agent reports not ready without naming one. */
export const NOT_READY_REASON = 'AgentNotReady';
/** A burst of pod changes (a bind of many pods) becomes one DesiredPods message. */
const DESIRED_PODS_DEBOUNCE_MS = 10;
/** How long an agent has to say Hello before its stream is refused. */
const HELLO_TIMEOUT_MS = 10_000;

/** The stream of one agent, as the session sees it (gRPC in production, a fake in tests). */
export interface AgentStream {
  onMessage(fn: (m: AgentMessage) => void): void;
  /** Called once when the stream ends, for whatever reason. */
  onEnd(fn: () => void): void;
  send(m: MasterMessage): void;
  /** Ends the stream with an error status. */
  fail(err: unknown): void;
}

export interface NodeServiceDeps {
  readonly store: ObjectStore;
  readonly pods: Informer;
  readonly podsByNode: PodsByNode;
  /** The ConfigMaps and Secrets the node's pods use, sent with them (none: never sent). */
  readonly configObjects?: PodConfigObjects;
  readonly leases: NodeLeases;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly log: Logger;
  readonly masterName: string;
  /** A node silent this long is no longer Ready; the lease TTL. */
  readonly gracePeriodMs: number;
  /** Logs and exec sessions relayed over the node streams (none: not served). */
  readonly streams?: NodeStreamHooks;
}

/**
 * The node service: one long-lived stream per agent. The agent says Hello; the master
 * registers the node, binds its liveness lease (renewed by heartbeats, no write per
 * beat), sends Welcome and then the node's complete set of pods whenever it changes.
 * Status reports flow back and are written coalesced, only when something changed.
 */
export class NodeService {
  private readonly sessions = new Map<string, NodeSession>();
  private readonly usage = new Map<string, UsageReport>();
  readonly podStatusWrites: Coalescer<{ node: string; update: PodStatusUpdate }>;
  readonly nodeStatusWrites: Coalescer<NodeStatus>;

  constructor(readonly deps: NodeServiceDeps) {
    this.podStatusWrites = new Coalescer(
      (_key, v) => this.writePodStatus(v.node, v.update),
      (key, err) => this.deps.log.warn({ pod: key, err: (err as Error).message }, 'pod status write failed'),
    );
    this.nodeStatusWrites = new Coalescer(
      (node, status) => this.writeNodeStatus(node, status),
      (node, err) => this.deps.log.warn({ node, err: (err as Error).message }, 'node status write failed'),
    );
  }

  /** Serves one agent stream until it ends. */
  connect(stream: AgentStream): void {
    const session = new NodeSession(this, stream);
    session.start();
  }

  /** The last usage report of a node (kept in memory only). */
  usageOf(nodeName: string): UsageReport | undefined {
    return this.usage.get(nodeName);
  }

  /** The last usage report of every node whose stream this master holds. */
  usageReports(): ReadonlyMap<string, UsageReport> {
    return this.usage;
  }

  /** Number of connected agents. */
  get connectedNodes(): number {
    return this.sessions.size;
  }

  /** Ends every stream (master shutdown); agents reconnect to another master. */
  closeAll(): void {
    for (const s of [...this.sessions.values()]) s.close();
  }

  /** @internal */
  register(name: string, session: NodeSession): void {
    const old = this.sessions.get(name);
    this.sessions.set(name, session);
    // The agent reconnected before its old stream was noticed as gone.
    if (old && old !== session) old.close();
  }

  /** @internal */
  unregister(name: string, session: NodeSession): void {
    if (this.sessions.get(name) === session) {
      this.sessions.delete(name);
      // Usage is answered by the master holding the node's stream; this one no longer does.
      this.usage.delete(name);
    }
  }

  /** @internal */
  recordUsage(name: string, report: UsageReport): void {
    this.usage.set(name, report);
  }

  /**
   * Creates or updates the Node of a Hello: labels merged over the user's (the agent's win
   * for keys it sets), status from the agent, Ready=True.
   */
  async upsertNode(hello: Hello): Promise<void> {
    const { store, clock, ids } = this.deps;
    const kind = kindByCase('node');
    const now = rfc3339(clock.now());
    const status = readyStatus(hello.status ?? NodeStatus.fromPartial({}), [], now);
    for (let attempt = 0; ; attempt++) {
      const current = await store.tryGet(kind, '', hello.nodeName);
      try {
        if (!current) {
          const node = Node.fromPartial({
            apiVersion: 'v1',
            kind: 'Node',
            metadata: ObjectMeta.fromPartial({ name: hello.nodeName, labels: hello.labels, uid: ids.uuid(), creationTimestamp: now, generation: 1 }),
            spec: {},
            status,
          });
          await store.create(wrapNode(node));
        } else {
          const copy = cloneObject(current);
          const n = copy.resource?.$case === 'node' ? copy.resource.node : undefined;
          if (!n) throw new Error(`object at nodes/${hello.nodeName} is not a node`);
          const meta = metaOf(copy);
          meta.labels = { ...meta.labels, ...hello.labels };
          n.metadata = meta;
          n.status = readyStatus(hello.status ?? NodeStatus.fromPartial({}), n.status?.conditions ?? [], now);
          await store.update(copy);
        }
        return;
      } catch (err) {
        // Someone (the user, the lifecycle controller) wrote in between: merge again.
        if ((err instanceof ConflictError || err instanceof NotFoundError) && attempt < 5) continue;
        throw err;
      }
    }
  }

  /**
   * Marks a node Ready again (its lease was re-granted after expiring while the stream
   * lived), or not ready when its agent last reported so (`agentNotReady`).
   */
  async markReady(nodeName: string, agentNotReady?: Condition): Promise<void> {
    const now = rfc3339(this.deps.clock.now());
    const want = agentNotReady ? 'False' : 'True';
    await this.deps.store.mutate(kindByCase('node'), '', nodeName, (copy) => {
      const n = copy.resource?.$case === 'node' ? copy.resource.node : undefined;
      if (!n || findCondition(n.status?.conditions, 'Ready')?.status === want) return undefined;
      const reported = NodeStatus.fromPartial(n.status ?? {});
      reported.conditions = [...reported.conditions.filter((c) => c.type !== 'Ready'), ...(agentNotReady ? [agentNotReady] : [])];
      n.status = readyStatus(reported, n.status?.conditions ?? [], now);
      return copy;
    });
  }

  /**
   * Writes a pod status reported by the agent of `node`: only for the pod with that uid,
   * bound to that node, and only when the status changed. A pod marked for deletion
   * that the agent reports deleted is removed.
   */
  private async writePodStatus(node: string, u: PodStatusUpdate): Promise<void> {
    const { store, pods } = this.deps;
    const kind = kindByCase('pod');
    const cached = pods.peek(`pods/${u.namespace}/${u.name}`);
    const cachedPod = cached?.resource?.$case === 'pod' ? cached.resource.pod : undefined;
    if (cached && (metaOf(cached).uid !== u.uid || cachedPod?.spec?.nodeName !== node)) return;
    if (u.deleted) {
      if (cached && !metaOf(cached).deletionTimestamp) return;
      await this.deleteConfirmed(node, u);
      return;
    }
    if (!u.status) return;
    if (cachedPod && sameStatus(mergePodStatus(cachedPod.status, u.status), cachedPod.status)) return;
    try {
      await store.mutate(kind, u.namespace, u.name, (copy) => {
        const p = copy.resource?.$case === 'pod' ? copy.resource.pod : undefined;
        if (!p || metaOf(copy).uid !== u.uid || p.spec?.nodeName !== node) return undefined;
        const next = mergePodStatus(p.status, u.status!);
        if (sameStatus(next, p.status)) return undefined;
        p.status = next;
        return copy;
      });
    } catch (err) {
      if (err instanceof NotFoundError) return;
      throw err;
    }
  }

  /**
   * Deletes a pod its agent confirmed stopped: only this pod (uid), bound to this node,
   * marked for deletion; checked on the stored version and deleted at exactly that one.
   */
  private async deleteConfirmed(node: string, u: PodStatusUpdate): Promise<void> {
    const { store, log } = this.deps;
    const kind = kindByCase('pod');
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await store.tryGet(kind, u.namespace, u.name);
      const p = current?.resource?.$case === 'pod' ? current.resource.pod : undefined;
      // Gone already, or not ours to delete (another pod of that name, another node, not marked).
      if (!current || !p || metaOf(current).uid !== u.uid || p.spec?.nodeName !== node || !metaOf(current).deletionTimestamp) return;
      try {
        await store.delete(kind, u.namespace, u.name, { uid: u.uid, resourceVersion: metaOf(current).resourceVersion });
        log.info({ pod: `${u.namespace}/${u.name}`, node }, 'pod deleted after its agent stopped it');
        return;
      } catch (err) {
        if (err instanceof NotFoundError) return;
        // A status write slipped in between: check the new version again.
        if (err instanceof ConflictError) continue;
        throw err;
      }
    }
  }

  private async writeNodeStatus(nodeName: string, status: NodeStatus): Promise<void> {
    const now = rfc3339(this.deps.clock.now());
    await this.deps.store.mutate(kindByCase('node'), '', nodeName, (copy) => {
      const n = copy.resource?.$case === 'node' ? copy.resource.node : undefined;
      if (!n) return undefined;
      const next = readyStatus(status, n.status?.conditions ?? [], now, findCondition(n.status?.conditions, 'Ready')?.lastHeartbeatTime);
      if (sameNodeStatus(next, n.status)) return undefined;
      n.status = next;
      return copy;
    });
  }
}

/**
 * One agent's stream: Hello, then messages until it ends. Liveness is the lease; the
 * stream ending revokes nothing, so a reconnect within the grace period is seamless.
 */
class NodeSession {
  private nodeName = '';
  private lease: NodeLease | undefined;
  private unsubscribe: (() => void) | undefined;
  private unsubscribeConfig: (() => void) | undefined;
  /** What the last desired set referenced: a change of one of these is sent again. */
  private referenced: PodReferences | undefined;
  private sendTimer: NodeJS.Timeout | undefined;
  private helloTimer: NodeJS.Timeout | undefined;
  private ended = false;
  private renewing = false;
  /** The Ready=False condition the agent last reported (its runtime is down), if any. */
  private agentNotReady: Condition | undefined;
  private streamSend: NodeSend | undefined;

  constructor(
    private readonly svc: NodeService,
    private readonly stream: AgentStream,
  ) {}

  start(): void {
    this.helloTimer = setTimeout(() => this.stream.fail(new BadRequestError('expected Hello as the first message')), HELLO_TIMEOUT_MS);
    let first = true;
    let queue = Promise.resolve();
    this.stream.onEnd(() => this.cleanup());
    this.stream.onMessage((m) => {
      if (this.ended) return;
      if (first) {
        first = false;
        clearTimeout(this.helloTimer);
        if (m.message?.$case !== 'hello') {
          this.stream.fail(new BadRequestError(`expected Hello as the first message, got ${m.message?.$case ?? 'an empty message'}`));
          this.cleanup();
          return;
        }
        const hello = m.message.hello;
        queue = this.hello(hello).catch((err: unknown) => {
          this.svc.deps.log.warn({ node: hello.nodeName, err: (err as Error).message }, 'node registration failed');
          this.stream.fail(err);
          this.cleanup();
        });
        return;
      }
      // Messages after Hello wait for the registration to finish, and keep their order.
      queue = queue
        .then(() => this.handle(m))
        .catch((err: unknown) => this.svc.deps.log.warn({ node: this.nodeName, err: (err as Error).message }, 'agent message failed'));
    });
  }

  close(): void {
    this.stream.fail(new UnavailableError(`master ${this.svc.deps.masterName} is shutting down; connect to another master`));
    this.cleanup();
  }

  private async hello(hello: Hello): Promise<void> {
    const { deps } = this.svc;
    const problems = checkDns1123Subdomain(hello.nodeName);
    if (!hello.nodeName || problems.length > 0) {
      throw new BadRequestError(`invalid node name "${hello.nodeName}": ${problems.join('; ') || 'Required value'}`);
    }
    this.nodeName = hello.nodeName;
    this.agentNotReady = agentNotReadyOf(hello.status);
    this.lease = await deps.leases.grant(hello.nodeName, Math.max(2, Math.ceil(deps.gracePeriodMs / 1000)));
    await this.svc.upsertNode(hello);
    if (this.ended) return;
    this.svc.register(hello.nodeName, this);
    this.streamSend = (m) => this.stream.send(m);
    deps.streams?.connected(hello.nodeName, this.streamSend);
    deps.log.info({ node: hello.nodeName, agentVersion: hello.agentVersion }, 'node connected');
    this.stream.send(
      MasterMessage.fromPartial({
        message: {
          $case: 'welcome',
          welcome: { masterName: deps.masterName, heartbeatIntervalMs: Math.max(250, Math.floor(deps.gracePeriodMs / 4)) },
        },
      }),
    );
    this.unsubscribe = deps.podsByNode.subscribe(hello.nodeName, () => this.scheduleSend());
    this.unsubscribeConfig = deps.configObjects?.onChange((kind, key) => {
      if ((kind === 'configMap' ? this.referenced?.configMaps : this.referenced?.secrets)?.has(key)) this.scheduleSend();
    });
    this.sendDesiredPods();
  }

  private async handle(m: AgentMessage): Promise<void> {
    const msg = m.message;
    if (!msg || this.ended) return;
    switch (msg.$case) {
      case 'hello':
        this.stream.fail(new BadRequestError('Hello may only be the first message of a stream'));
        this.cleanup();
        return;
      case 'heartbeat':
        // Not awaited: a slow keep-alive must not hold back the status reports behind it.
        void this.renew();
        return;
      case 'podStatus':
        this.svc.podStatusWrites.submit(`${msg.podStatus.namespace}/${msg.podStatus.name}`, { node: this.nodeName, update: msg.podStatus });
        return;
      case 'nodeStatus':
        this.agentNotReady = agentNotReadyOf(msg.nodeStatus.status);
        if (msg.nodeStatus.status) this.svc.nodeStatusWrites.submit(this.nodeName, msg.nodeStatus.status);
        return;
      case 'usage':
        this.svc.recordUsage(this.nodeName, msg.usage);
        return;
      case 'streamOutput':
        this.svc.deps.streams?.output(this.nodeName, msg.streamOutput);
        return;
    }
  }

  /** Renews the lease; one that expired anyway (etcd trouble) is granted anew and the node marked Ready. */
  private async renew(): Promise<void> {
    if (!this.lease || this.renewing) return;
    this.renewing = true;
    const { deps } = this.svc;
    try {
      await this.lease.renew();
    } catch (err) {
      if (!(err instanceof NodeLeaseExpiredError)) {
        // A keep-alive etcd did not answer in time does not mean the lease is gone: the next
        // heartbeat renews it or learns that it expired. Granting anew here added writes
        // (lease, key, node status) for every node exactly when etcd was slowest.
        deps.log.warn({ node: this.nodeName, err: (err as Error).message }, 'node lease renewal failed; the next heartbeat tries again');
        return;
      }
      deps.log.warn({ node: this.nodeName, err: (err as Error).message }, 'node lease expired; granting a new one');
      try {
        this.lease = await deps.leases.grant(this.nodeName, Math.max(2, Math.ceil(deps.gracePeriodMs / 1000)));
        await this.svc.markReady(this.nodeName, this.agentNotReady);
      } catch (e) {
        // The next heartbeat tries again.
        deps.log.warn({ node: this.nodeName, err: (e as Error).message }, 'node lease grant failed');
      }
    } finally {
      this.renewing = false;
    }
  }

  private scheduleSend(): void {
    if (this.sendTimer || this.ended) return;
    this.sendTimer = setTimeout(() => {
      this.sendTimer = undefined;
      this.sendDesiredPods();
    }, DESIRED_PODS_DEBOUNCE_MS);
  }

  private sendDesiredPods(): void {
    if (this.ended) return;
    const { podsByNode, pods } = this.svc.deps;
    // Status is the agent's own report; the desired set is spec and metadata. Shallow
    // copies of the cache's pods, never deep ones: the message is only encoded (at once, by
    // send), and a deep copy per pod per change was the costliest part of a bind burst.
    const desired = podsByNode.podsOn(this.nodeName).map((o) => ({ ...(unwrap(o) as Pod), status: undefined }) as Pod);
    // A node sees only the ConfigMaps and Secrets its pods use.
    this.referenced = podReferences(desired);
    const config = this.svc.deps.configObjects?.objectsFor(this.referenced);
    const desiredPods: DesiredPods = { pods: desired, revision: pods.revision, configMaps: config?.configMaps ?? [], secrets: config?.secrets ?? [] };
    this.stream.send({ message: { $case: 'desiredPods', desiredPods } });
  }

  private cleanup(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.helloTimer);
    clearTimeout(this.sendTimer);
    this.unsubscribe?.();
    this.unsubscribeConfig?.();
    // Not revoked: the node stays live for the grace period, long enough to reconnect.
    this.lease?.release();
    if (this.nodeName) {
      this.svc.unregister(this.nodeName, this);
      if (this.streamSend) this.svc.deps.streams?.disconnected(this.nodeName, this.streamSend);
      this.svc.deps.log.info({ node: this.nodeName }, 'node stream ended');
    }
  }
}

/**
 * The agent's status with the master's Ready condition in it: True while the agent's
 * stream is up, unless the agent itself reports Ready=False (its container runtime does
 * not answer): then False with the agent's reason and message, which the node lifecycle
 * turns into the not-ready taints.
 */
export function readyStatus(reported: NodeStatus, previous: readonly Condition[], now: string, heartbeat?: string): NodeStatus {
  const status = NodeStatus.fromPartial(reported);
  const base = reported.conditions.filter((c) => c.type !== 'Ready');
  const prevReady = findCondition(previous, 'Ready');
  const agentNotReady = reported.conditions.find((c) => c.type === 'Ready' && c.status === 'False');
  status.conditions = setCondition(prevReady ? [...base, prevReady] : base, {
    type: 'Ready',
    status: agentNotReady ? 'False' : 'True',
    reason: agentNotReady ? agentNotReady.reason || NOT_READY_REASON : AGENT_READY_REASON,
    message: agentNotReady ? agentNotReady.message : AGENT_READY_MESSAGE,
    lastHeartbeatTime: heartbeat ?? now,
  }, now);
  return status;
}

/** The Ready=False condition an agent reports about itself, if it does. */
function agentNotReadyOf(status: NodeStatus | undefined): Condition | undefined {
  return status?.conditions.find((c) => c.type === 'Ready' && c.status === 'False');
}

/** The agent's pod status, keeping the conditions the master owns (PodScheduled). */
export function mergePodStatus(stored: PodStatus | undefined, reported: PodStatus): PodStatus {
  const next = PodStatus.fromPartial(reported);
  const reportedTypes = new Set(reported.conditions.map((c) => c.type));
  const kept = (stored?.conditions ?? []).filter((c) => c.type === 'PodScheduled' && !reportedTypes.has(c.type));
  next.conditions = [...kept, ...reported.conditions];
  return next;
}

function sameStatus(a: PodStatus | undefined, b: PodStatus | undefined): boolean {
  return Buffer.compare(Buffer.from(PodStatus.encode(a ?? PodStatus.fromPartial({})).finish()), Buffer.from(PodStatus.encode(b ?? PodStatus.fromPartial({})).finish())) === 0;
}

function sameNodeStatus(a: NodeStatus | undefined, b: NodeStatus | undefined): boolean {
  return Buffer.compare(Buffer.from(NodeStatus.encode(a ?? NodeStatus.fromPartial({})).finish()), Buffer.from(NodeStatus.encode(b ?? NodeStatus.fromPartial({})).finish())) === 0;
}

/** The gRPC handler of the node service. */
export function nodeServiceHandlers(svc: NodeService): NodeServiceServer {
  return {
    connect: (call: ServerDuplexStream<AgentMessage, MasterMessage>) => {
      let ended = false;
      const endFns: Array<() => void> = [];
      const end = () => {
        if (ended) return;
        ended = true;
        for (const fn of endFns) fn();
      };
      call.on('end', () => {
        end();
        call.end();
      });
      call.on('cancelled', end);
      call.on('close', end);
      call.on('error', end);
      const stream: AgentStream = {
        onMessage: (fn) => call.on('data', fn),
        onEnd: (fn) => (ended ? fn() : endFns.push(fn)),
        send: (m) => {
          if (!ended) call.write(m);
        },
        fail: (err) => {
          if (ended) return;
          const se = toServiceError(err);
          // grpc-js turns an 'error' event into the call's status and ends the stream.
          call.emit('error', Object.assign(new Error(se.details ?? (err as Error).message), se));
          end();
        },
      };
      svc.connect(stream);
    },
  };
}
