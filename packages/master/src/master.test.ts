import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status as GrpcStatus, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import {
  AgentMessage,
  ClusterServiceClient,
  NodeServiceClient,
  createLogger,
  metaOf,
  parseManifests,
  type ApiObject,
  type DeleteResponse,
  type MasterMessage,
  type WatchEvent,
} from '@orchard/api';
import { startEtcdFixture, type EtcdFixture } from './testing/etcd-fixture';
import { Master } from './master';
import { adminCredentials, tempDataDir } from './testing/admin-credentials';

const log = createLogger('master-test', 'silent');

async function until<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function podYaml(name: string, extra = '', memory = '64Mi'): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
${extra}spec:
  containers:
  - name: app
    image: busybox:1
    resources:
      requests:
        cpu: 100m
        memory: ${memory}
`;
}

/** A fake agent: one node stream that records what the master sends. */
class FakeAgent {
  readonly desired: string[][] = [];
  welcomed = false;
  error: ServiceError | undefined;
  private readonly stream: ClientDuplexStream<AgentMessage, MasterMessage>;
  private readonly beat: NodeJS.Timeout;

  constructor(
    client: NodeServiceClient,
    readonly name: string,
    memory = '1Gi',
    first?: AgentMessage,
  ) {
    this.stream = client.connect();
    this.stream.on('data', (m: MasterMessage) => {
      if (m.message?.$case === 'welcome') this.welcomed = true;
      if (m.message?.$case === 'desiredPods') {
        this.desired.push(m.message.desiredPods.pods.map((p) => `${p.metadata!.name}${p.metadata!.deletionTimestamp ? ' (deleting)' : ''}`));
      }
    });
    this.stream.on('error', (e: ServiceError) => (this.error = e));
    this.send(
      first ??
        AgentMessage.fromPartial({
          message: {
            $case: 'hello',
            hello: {
              nodeName: name,
              labels: { 'kubernetes.io/arch': 'arm64' },
              status: { capacity: { cpu: '4', memory, pods: '110' }, allocatable: { cpu: '4', memory, pods: '110' } },
            },
          },
        }),
    );
    this.beat = setInterval(() => this.send(AgentMessage.fromPartial({ message: { $case: 'heartbeat', heartbeat: { sequence: 1 } } })), 300);
  }

  send(m: AgentMessage): void {
    this.stream.write(m);
  }

  get last(): string[] | undefined {
    return this.desired[this.desired.length - 1];
  }

  /** Stops heartbeats and closes the stream, as a dead agent would. */
  stop(): void {
    clearInterval(this.beat);
    this.stream.end();
  }
}

describe('orchard-master over gRPC on a real etcd', () => {
  let fx: EtcdFixture;
  let master: Master;
  let api: ClusterServiceClient;
  let nodes: NodeServiceClient;
  const agents: FakeAgent[] = [];

  const call = <T>(fn: (cb: (e: ServiceError | null, r?: T) => void) => void) =>
    new Promise<T>((resolve, reject) => fn((e, r) => (e ? reject(e) : resolve(r as T))));
  const apply = (yaml: string) => call((cb) => api.apply({ objects: parseManifests(yaml, 'test'), dryRun: false }, cb));
  const getPod = (name: string) => call<ApiObject>((cb) => api.get({ kind: 'pod', namespace: 'default', name }, cb));
  const listPods = () =>
    call<{ items: ApiObject[] }>((cb) => api.list({ kind: 'pods', namespace: '', allNamespaces: true, labelSelector: '', fieldSelector: '' }, cb));
  const getNode = (name: string) => call<ApiObject>((cb) => api.get({ kind: 'node', namespace: '', name }, cb));
  const agent = (name: string, memory?: string, first?: AgentMessage) => {
    const a = new FakeAgent(nodes, name, memory, first);
    agents.push(a);
    return a;
  };

  beforeAll(async () => {
    fx = await startEtcdFixture(22140);
    const dataDir = tempDataDir();
    master = new Master(
      {
        etcd: [fx.url],
        dataDir,
        listen: '127.0.0.1:0',
        name: 'm1',
        advertiseAddress: '127.0.0.1:0',
        etcdClientPort: 0,
        etcdPeerPort: 0,
        nodeGracePeriodMs: 2000,
        leaderLeaseTtlSeconds: 2,
        logLevel: 'silent',
      },
      { log },
    );
    await master.run();
    const addr = `127.0.0.1:${master.port}`;
    api = new ClusterServiceClient(addr, adminCredentials(dataDir));
    nodes = new NodeServiceClient(addr, adminCredentials(dataDir));
    await until(async () => (await call<{ masters: { leader: boolean }[] }>((cb) => api.listMasters({}, cb))).masters[0]?.leader);
  }, 30_000);

  afterAll(async () => {
    for (const a of agents) a.stop();
    api?.close();
    nodes?.close();
    await master?.stop();
    await fx?.stop();
  });

  it('schedules a pod onto a Ready node and streams it to that node', async () => {
    const pi1 = agent('pi1');
    await until(() => pi1.last);
    expect(pi1.welcomed).toBe(true);
    const node = await getNode('pi1');
    expect(node.resource?.$case === 'node' && node.resource.node.status?.conditions.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'AgentReady' });

    const res = await apply(podYaml('web'));
    expect(res).toMatchObject({ results: [{ action: 'created' }] });
    await until(() => pi1.last?.includes('web'));
    const web = await getPod('web');
    expect(web.resource?.$case === 'pod' && web.resource.pod.spec?.nodeName).toBe('pi1');
    expect(web.resource?.$case === 'pod' && web.resource.pod.status?.conditions.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
    expect(await apply(podYaml('web'))).toMatchObject({ results: [{ action: 'unchanged' }] });

    // Status flows up; deletion is graceful: marked, confirmed by the agent, then gone.
    pi1.send(AgentMessage.fromPartial({ message: { $case: 'podStatus', podStatus: { namespace: 'default', name: 'web', uid: metaOf(web).uid, status: { phase: 'Running', podIp: '10.42.1.5' } } } }));
    await until(async () => {
      const p = await getPod('web');
      return p.resource?.$case === 'pod' && p.resource.pod.status?.phase === 'Running';
    });
    const del = await call<DeleteResponse>((cb) => api.delete({ kind: 'pod', namespace: 'default', name: 'web' }, cb));
    expect(metaOf(del.object!).deletionTimestamp).not.toBe('');
    await until(() => pi1.last?.includes('web (deleting)'));
    pi1.send(AgentMessage.fromPartial({ message: { $case: 'podStatus', podStatus: { namespace: 'default', name: 'web', uid: metaOf(web).uid, deleted: true } } }));
    await until(() => pi1.last && pi1.last.length === 0);
    await expect(getPod('web')).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
  });

  it('leaves a pod that fits nowhere Pending with the Kubernetes message', async () => {
    await apply(podYaml('huge', '', '64Gi'));
    const cond = await until(async () => {
      const p = await getPod('huge');
      return p.resource?.$case === 'pod' && p.resource.pod.status?.conditions.find((c) => c.type === 'PodScheduled');
    });
    expect(cond).toMatchObject({ status: 'False', reason: 'Unschedulable' });
    expect(cond.message).toMatch(/^0\/\d+ nodes are available: \d+ Insufficient memory\.$/);

    // A node that fits appears: the parked pod is retried and bound there.
    const big = agent('big', '128Gi');
    await until(() => big.last?.includes('huge'));
  });

  it('applies all objects or none', async () => {
    const bad = podYaml('ok-1') + '---\n' + podYaml('Bad_Name');
    await expect(apply(bad)).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT, details: expect.stringMatching(/metadata\.name/) });
    const names = (await listPods()).items.map((o) => metaOf(o).name);
    expect(names).not.toContain('ok-1');
    await expect(apply(podYaml('elsewhere', '  namespace: missing\n'))).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
  });

  it('watches: current state first, then changes', async () => {
    await apply(podYaml('watched', '  labels:\n    app: w\n'));
    // Bound first, so that the binding is not one of the changes seen below.
    await until(async () => { const p = await getPod('watched'); return p.resource?.$case === 'pod' && p.resource.pod.spec?.nodeName; });
    const events: string[] = [];
    const stream = api.watch({ kind: 'pods', namespace: 'default', allNamespaces: false, resourceVersion: '', labelSelector: 'app=w' });
    stream.on('data', (e: WatchEvent) => events.push(`${e.type} ${metaOf(e.object!).name}`));
    stream.on('error', () => undefined);
    await until(() => events.length >= 1);
    // Another namespace is out of this watch's scope.
    await apply(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: other\n---\n` + podYaml('elsewhere', '  namespace: other\n  labels:\n    app: w\n'));
    // Dropping the label makes it leave the selection: DELETED for this watcher.
    await apply(podYaml('watched', '  labels:\n    app: other\n'));
    await until(() => events.length >= 2);
    stream.cancel();
    expect(events).toEqual(['ADDED watched', 'DELETED watched']);
  });

  it.each([
    { name: 'an unbound pod is deleted at once', yaml: podYaml('unbound', '', '512Gi'), grace: undefined },
    { name: 'grace period 0 deletes a bound pod at once', yaml: podYaml('forced'), grace: 0 },
  ])('$name', async ({ yaml, grace }) => {
    const name = parseManifests(yaml, 't').map((o) => metaOf(o).name)[0]!;
    await apply(yaml);
    if (grace === 0) await until(async () => { const p = await getPod(name); return p.resource?.$case === 'pod' && p.resource.pod.spec?.nodeName; });
    await call((cb) => api.delete({ kind: 'po', namespace: 'default', name, gracePeriodSeconds: grace }, cb));
    await expect(getPod(name)).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
  });

  it('refuses to delete the default namespace, and writes nothing on a dry run', async () => {
    await expect(call((cb) => api.delete({ kind: 'ns', namespace: '', name: 'default' }, cb))).rejects.toMatchObject({ code: GrpcStatus.PERMISSION_DENIED });
    const res = await call<{ results: { action: string }[] }>((cb) => api.apply({ objects: parseManifests(podYaml('dry'), 't'), dryRun: true }, cb));
    expect(res.results.map((r) => r.action)).toEqual(['created']);
    await expect(getPod('dry')).rejects.toMatchObject({ code: GrpcStatus.NOT_FOUND });
  });

  it('ignores status reports for pods the reporting node does not run', async () => {
    const stray = agent('stray');
    await until(() => stray.last);
    await apply(podYaml('owned', '', '64Mi'));
    const owned = await until(async () => {
      const p = await getPod('owned');
      return p.resource?.$case === 'pod' && p.resource.pod.spec?.nodeName ? p : undefined;
    });
    const ownerName = owned.resource?.$case === 'pod' ? owned.resource.pod.spec?.nodeName : '';
    const owner = agents.find((a) => a.name === ownerName)!;
    const other = agents.find((a) => a.name !== ownerName && a.welcomed && !a.error)!;
    const uid = metaOf(owned).uid;
    // From a node the pod is not bound to, and from its node but about another pod of that name.
    other.send(AgentMessage.fromPartial({ message: { $case: 'podStatus', podStatus: { namespace: 'default', name: 'owned', uid, status: { phase: 'Failed' } } } }));
    owner.send(AgentMessage.fromPartial({ message: { $case: 'podStatus', podStatus: { namespace: 'default', name: 'owned', uid: 'not-this-pod', status: { phase: 'Failed' } } } }));
    await new Promise((r) => setTimeout(r, 300));
    const after = await getPod('owned');
    expect(after.resource?.$case === 'pod' && after.resource.pod.status?.phase).toBe('Pending');
  });

  it('refuses a stream that does not start with Hello', async () => {
    const a = agent('never', undefined, AgentMessage.fromPartial({ message: { $case: 'heartbeat', heartbeat: { sequence: 1 } } }));
    const err = await until(() => a.error);
    expect(err.code).toBe(GrpcStatus.INVALID_ARGUMENT);
  });

  it('marks a silent node Ready=Unknown once its lease expires', async () => {
    const quiet = agent('quiet');
    await until(() => quiet.last);
    quiet.stop();
    const ready = await until(async () => {
      const n = await getNode('quiet');
      const c = n.resource?.$case === 'node' ? n.resource.node.status?.conditions.find((x) => x.type === 'Ready') : undefined;
      return c?.status === 'Unknown' && c;
    }, 10_000);
    expect(ready).toMatchObject({ reason: 'NodeStatusUnknown', message: 'Agent stopped posting node status.' });
  }, 15_000);
});
