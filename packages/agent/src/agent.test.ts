import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import pino from 'pino';
import { DesiredPods, NodeServiceService, Pod, systemClock, type AgentMessage, type MasterMessage } from '@orchard/api';
import { Agent, type AgentDeps } from './agent';
import type { AgentConfig } from './flags';
import { LABEL_CONTAINER_NAME, LABEL_POD_UID } from './pods/container-labels';
import { DesiredPodsStore } from './pods/desired-store';
import type { ImageEventSource } from './inventory/image-watch';
import { FakeRuntime } from './runtime/fake-runtime';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'orchard-agent-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const waitFor = async (cond: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

const web = Pod.fromPartial({
  metadata: { name: 'web', namespace: 'default', uid: 'uid-web' },
  spec: { nodeName: 'pi1', containers: [{ name: 'app', image: 'busybox:1', command: ['sleep', '1000'] }] },
});

function makeAgent(dataDir: string, servers: string[], extra: Partial<AgentDeps> = {}) {
  const runtime = new FakeRuntime(systemClock);
  runtime.images.add('pause:1');
  runtime.images.add('busybox:1');
  const config: AgentConfig = {
    servers,
    nodeName: 'pi1',
    dockerSocket: '/var/run/docker.sock',
    pauseImage: 'pause:1',
    dataDir,
    systemReserved: { cpuMillis: 250, memoryBytes: 0 },
    maxPods: 110,
    logLevel: 'silent',
    piHealthRoot: '/',
  };
  const agent = new Agent({
    config,
    runtime,
    logger: pino({ level: 'silent' }),
    clock: systemClock,
    random: () => 0,
    hostFacts: async () => ({ nodeArch: 'arm64', hostname: 'pi1', cpuCores: 4, memoryBytes: 4 * 1024 ** 3, internalIP: '192.168.77.11' }),
    ...extra,
  });
  cleanups.push(() => agent.stop());
  return { agent, runtime };
}

/** A master on loopback that welcomes the agent, sends it web, and records what it sends. */
async function fakeMaster(): Promise<{ received: AgentMessage[]; port: number }> {
  const received: AgentMessage[] = [];
  const server = new Server();
  server.addService(NodeServiceService, {
    connect: (call: ServerDuplexStream<AgentMessage, MasterMessage>) => {
      call.on('data', (m: AgentMessage) => {
        received.push(m);
        if (m.message?.$case !== 'hello') return;
        call.write({ message: { $case: 'welcome', welcome: { masterName: 'm', heartbeatIntervalMs: 1000 } } });
        call.write({ message: { $case: 'desiredPods', desiredPods: DesiredPods.fromPartial({ pods: [web], revision: '3' }) } });
      });
      call.on('error', () => undefined);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  cleanups.push(() => server.forceShutdown());
  return { received, port };
}

describe('Agent', () => {
  it('runs the pods of its local copy while the master is unreachable', async () => {
    const dir = tempDir();
    await new DesiredPodsStore(dir).save([web]);
    const { agent, runtime } = makeAgent(dir, ['127.0.0.1:1']);
    await agent.run();
    await waitFor(() => runtime.find({ [LABEL_POD_UID]: 'uid-web', [LABEL_CONTAINER_NAME]: 'app' }).some((c) => c.state === 'running'));
  });

  it('leaves containers alone when the master is unreachable and there is no local copy', async () => {
    const { agent, runtime } = makeAgent(tempDir(), ['127.0.0.1:1']);
    await runtime.createContainer({
      name: 'orchard_default_old_app_x_0',
      image: 'busybox:1',
      labels: { 'io.orchard.node': 'pi1', [LABEL_POD_UID]: 'uid-old', [LABEL_CONTAINER_NAME]: 'app' },
      env: [],
      networkMode: 'bridge',
      exposedPorts: [],
      portBindings: [],
    });
    await agent.run();
    await new Promise((r) => setTimeout(r, 300));
    expect(runtime.find({ [LABEL_POD_UID]: 'uid-old' })).toHaveLength(1);
  });

  it('registers with the master, runs what it is told, reports status, and saves the set', async () => {
    const dir = tempDir();
    const { received, port } = await fakeMaster();

    const { agent } = makeAgent(dir, [`127.0.0.1:${port}`]);
    await agent.run();
    await waitFor(() =>
      received.some((m) => m.message?.$case === 'podStatus' && m.message.podStatus.status?.phase === 'Running'),
    );
    const hello = received[0]!.message;
    expect(hello?.$case).toBe('hello');
    if (hello?.$case === 'hello') {
      expect(hello.hello.nodeName).toBe('pi1');
      expect(hello.hello.labels).toMatchObject({ 'kubernetes.io/arch': 'arm64', 'kubernetes.io/os': 'linux' });
      expect(hello.hello.status?.allocatable).toMatchObject({ cpu: '3750m', pods: '110' });
    }
    await waitFor(() => existsSync(path.join(dir, 'desired-pods.pb')));
    const saved = await new DesiredPodsStore(dir).load();
    expect(saved!.pods.map((p) => p.metadata!.uid)).toEqual(['uid-web']);
  });

  it('sends the node status again when an image loaded after the Hello changes the list', async () => {
    const { received, port } = await fakeMaster();
    let images = [{ names: ['tool:1'], sizeBytes: 0, platforms: ['linux/arm64'] }];
    let emit: ((action: string) => void) | undefined;
    const imageEvents: ImageEventSource = (onEvent) => {
      emit = onEvent;
      return { close: () => (emit = undefined) };
    };
    const { agent } = makeAgent(tempDir(), [`127.0.0.1:${port}`], { images: async () => images, imageEvents });
    await agent.run();
    await waitFor(() => received.some((m) => m.message?.$case === 'podStatus'));
    const hello = received[0]!.message;
    expect(hello?.$case === 'hello' && hello.hello.status?.images.map((i) => i.names[0])).toEqual(['tool:1']);
    const nodeStatuses = () => received.flatMap((m) => (m.message?.$case === 'nodeStatus' ? [m.message.nodeStatus.status!] : []));

    // Unchanged: the listing after the event sends nothing.
    emit!('tag');
    await new Promise((r) => setTimeout(r, 1_300));
    expect(nodeStatuses()).toEqual([]);

    images = [...images, { names: ['tool:2'], sizeBytes: 0, platforms: ['linux/amd64'] }];
    emit!('load');
    await waitFor(() => nodeStatuses().length > 0);
    expect(nodeStatuses().map((s) => s.images.map((i) => i.names[0]))).toEqual([['tool:1', 'tool:2']]);
  });
});
