import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceError } from '@grpc/grpc-js';
import { AgentMessage, ClusterServiceClient, NodeServiceClient, createLogger, parseManifests, type ApiObject, type MasterInfo } from '@orchard/api';
import { startEtcdFixture, type EtcdFixture } from './testing/etcd-fixture';
import type { MasterFlags } from './flags';
import { Master } from './master';
import { adminCredentials, sharedServerSecretFile, tempDataDir } from './testing/admin-credentials';

const log = createLogger('master-ha-test', 'silent');

async function until<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    let v: T | undefined | false;
    try {
      v = await fn();
    } catch {
      // A master that is stopping may refuse a call; ask again.
      v = undefined;
    }
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const serverSecretFile = sharedServerSecretFile();

function flags(name: string, etcd: string): MasterFlags {
  return {
    etcd: [etcd],
    dataDir: tempDataDir(),
    serverSecretFile,
    listen: '127.0.0.1:0',
    name,
    advertiseAddress: `${name}.test:7443`,
    etcdClientPort: 0,
    etcdPeerPort: 0,
    nodeGracePeriodMs: 4000,
    leaderLeaseTtlSeconds: 2,
    logLevel: 'silent',
  };
}

const call = <T>(fn: (cb: (e: ServiceError | null, r?: T) => void) => void) =>
  new Promise<T>((resolve, reject) => fn((e, r) => (e ? reject(e) : resolve(r as T))));

describe('two masters on one etcd', () => {
  let fx: EtcdFixture;
  const masters: Master[] = [];

  beforeAll(async () => {
    fx = await startEtcdFixture(22170);
  }, 30_000);
  afterAll(async () => {
    for (const m of masters) await m.stop();
    await fx?.stop();
  });

  it('serves the API on both, schedules on the leader, and fails over when the leader stops', async () => {
    const f1 = flags('m1', fx.url);
    const m1 = new Master(f1, { log });
    masters.push(m1);
    await m1.run();
    const api1 = new ClusterServiceClient(`127.0.0.1:${m1.port}`, adminCredentials(f1.dataDir));
    await until(async () => (await call<{ masters: MasterInfo[] }>((cb) => api1.listMasters({}, cb))).masters.find((m) => m.leader));
    const f2 = flags('m2', fx.url);
    const m2 = new Master(f2, { log });
    masters.push(m2);
    await m2.run();
    const api2 = new ClusterServiceClient(`127.0.0.1:${m2.port}`, adminCredentials(f2.dataDir));

    const listed = await call<{ masters: MasterInfo[] }>((cb) => api2.listMasters({}, cb));
    expect(listed.masters.map((m) => [m.name, m.address, m.leader])).toEqual([
      ['m1', 'm1.test:7443', true],
      ['m2', 'm2.test:7443', false],
    ]);

    // The agent talks to the follower; the leader binds; the follower streams the pod.
    const desired: string[][] = [];
    const stream = new NodeServiceClient(`127.0.0.1:${m2.port}`, adminCredentials(f2.dataDir)).connect();
    stream.on('data', (m) => m.message?.$case === 'desiredPods' && desired.push(m.message.desiredPods.pods.map((p: { metadata: { name: string } }) => p.metadata.name)));
    stream.on('error', () => undefined);
    stream.write(
      AgentMessage.fromPartial({
        message: { $case: 'hello', hello: { nodeName: 'pi1', status: { allocatable: { cpu: '4', memory: '4Gi', pods: '10' } } } },
      }),
    );
    const beat = setInterval(() => stream.write(AgentMessage.fromPartial({ message: { $case: 'heartbeat', heartbeat: { sequence: 1 } } })), 500);
    const pod = (name: string) =>
      parseManifests(`apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n  - name: c\n    image: busybox:1\n`, 't');
    await call((cb) => api2.apply({ objects: pod('before'), dryRun: false }, cb));
    await until(() => desired[desired.length - 1]?.includes('before'));

    await m1.stop();
    await until(async () => (await call<{ masters: MasterInfo[] }>((cb) => api2.listMasters({}, cb))).masters.find((m) => m.name === 'm2' && m.leader));
    await call((cb) => api2.apply({ objects: pod('after'), dryRun: false }, cb));
    await until(() => desired[desired.length - 1]?.includes('after'));
    const after = await call<ApiObject>((cb) => api2.get({ kind: 'pod', namespace: 'default', name: 'after' }, cb));
    expect(after.resource?.$case === 'pod' && after.resource.pod.spec?.nodeName).toBe('pi1');

    clearInterval(beat);
    stream.end();
    api1.close();
    api2.close();
  }, 20_000);
});
