import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import { Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import pino from 'pino';
import {
  NodeServiceService,
  Pod,
  PodStatus,
  systemClock,
  type AgentMessage,
  DesiredPods,
  type MasterMessage,
  type PodStatusUpdate,
} from '@orchard/api';
import { FakeClock } from '../pods/fake-clock';
import { NodeSession, grpcStreamFactory } from './node-session';
import { reconnectDelay } from './reconnect-delay';

/** A master stand-in on a loopback port that records what agents send. */
class FakeMaster {
  readonly received: AgentMessage[] = [];
  readonly streams: ServerDuplexStream<AgentMessage, MasterMessage>[] = [];
  private server = new Server();
  port = 0;

  constructor(private readonly onHello: (s: ServerDuplexStream<AgentMessage, MasterMessage>) => void) {
    this.server.addService(NodeServiceService, {
      connect: (call: ServerDuplexStream<AgentMessage, MasterMessage>) => {
        this.streams.push(call);
        call.on('data', (m: AgentMessage) => {
          this.received.push(m);
          if (m.message?.$case === 'hello') this.onHello(call);
        });
        call.on('error', () => undefined);
        call.on('end', () => call.end());
      },
    });
  }

  async start(port = 0): Promise<void> {
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
  }

  stop(): void {
    this.server.forceShutdown();
  }

  of(kind: string): AgentMessage[] {
    return this.received.filter((m) => m.message?.$case === kind);
  }
}

const waitFor = async (cond: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/**
 * A TCP relay in front of a master that can freeze: once frozen it passes nothing either
 * way but keeps every connection open, as a SIGSTOPped master's kernel does (new
 * connections are accepted and never answered).
 */
class FreezableRelay {
  private readonly server: net.Server;
  private readonly sockets: net.Socket[] = [];
  private frozen = false;
  port = 0;

  constructor(private readonly targetPort: number) {
    this.server = net.createServer((client) => {
      this.sockets.push(client);
      if (this.frozen) return;
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      this.sockets.push(upstream);
      const pass = (from: net.Socket, to: net.Socket) => from.on('data', (d) => !this.frozen && to.write(d));
      pass(client, upstream);
      pass(upstream, client);
      const end = () => {
        if (this.frozen) return;
        client.destroy();
        upstream.destroy();
      };
      client.on('close', end).on('error', () => undefined);
      upstream.on('close', end).on('error', () => undefined);
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  freeze(): void {
    this.frozen = true;
  }

  stop(): void {
    for (const s of this.sockets) s.destroy();
    this.server.close();
  }
}

const desired: DesiredPods = DesiredPods.fromPartial({
  pods: [Pod.fromPartial({ metadata: { name: 'web', namespace: 'default', uid: 'u1' } })],
  revision: '5',
});

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function session(servers: string[], extra: Partial<ConstructorParameters<typeof NodeSession>[0]> = {}) {
  const got: DesiredPods[] = [];
  const statuses: PodStatusUpdate[] = [{ namespace: 'default', name: 'web', uid: 'u1', status: PodStatus.fromPartial({ phase: 'Running' }), deleted: false }];
  const s = new NodeSession({
    servers,
    hello: async () => ({ nodeName: 'pi1', labels: { 'kubernetes.io/arch': 'arm64' }, agentVersion: '0.1.0', status: undefined }),
    onDesiredPods: (d) => got.push(d),
    currentStatuses: () => statuses,
    clock: systemClock,
    random: () => 0.5,
    logger: pino({ level: process.env.DBG ? 'debug' : 'silent' }),
    reconnect: { initialMs: 20, maxMs: 100 },
    ...extra,
  });
  cleanups.push(() => s.stop());
  return { s, got, statuses };
}

describe('NodeSession', () => {
  it('says Hello first, follows Welcome, hands over desired pods, sends heartbeats and statuses', async () => {
    const master = new FakeMaster((call) => {
      call.write({ message: { $case: 'welcome', welcome: { masterName: 'm1', heartbeatIntervalMs: 50 } } });
      call.write({ message: { $case: 'desiredPods', desiredPods: desired } });
    });
    await master.start();
    cleanups.push(() => master.stop());
    const { s, got } = session([`127.0.0.1:${master.port}`]);
    s.start();
    await waitFor(() => master.of('heartbeat').length >= 2);
    expect(master.received[0]!.message!.$case).toBe('hello');
    expect(master.of('hello')[0]).toMatchObject({ message: { hello: { nodeName: 'pi1', labels: { 'kubernetes.io/arch': 'arm64' } } } });
    expect(got).toEqual([desired]);
    expect(s.connected).toBe(true);
    // Current statuses are resent on connect.
    expect(master.of('podStatus')).toHaveLength(1);
    s.sendPodStatus({ namespace: 'default', name: 'web', uid: 'u1', status: undefined, deleted: true });
    await waitFor(() => master.of('podStatus').length === 2);
    expect(master.of('podStatus')[1]!.message).toMatchObject({ podStatus: { deleted: true } });
    const seqs = master.of('heartbeat').map((m) => (m.message as { heartbeat: { sequence: number } }).heartbeat.sequence);
    expect(seqs.slice(0, 2)).toEqual([1, 2]);
  });

  it('moves on to the next master when one is down, and resends statuses after a reconnect', async () => {
    const master = new FakeMaster((call) => {
      call.write({ message: { $case: 'welcome', welcome: { masterName: 'm2', heartbeatIntervalMs: 10_000 } } });
    });
    await master.start();
    cleanups.push(() => master.stop());
    const downs: boolean[] = [];
    // Port 1 on loopback refuses connections.
    const { s } = session(['127.0.0.1:1', `127.0.0.1:${master.port}`], { onDisconnected: (_e, ever) => downs.push(ever) });
    s.start();
    await waitFor(() => master.of('podStatus').length === 1);
    expect(downs[0]).toBe(false);

    // The master restarts: the agent comes back and reports its statuses again.
    master.stop();
    const again = new FakeMaster((call) => {
      call.write({ message: { $case: 'welcome', welcome: { masterName: 'm2', heartbeatIntervalMs: 10_000 } } });
    });
    await again.start(master.port);
    cleanups.push(() => again.stop());
    await waitFor(() => again.of('hello').length === 1 && again.of('podStatus').length === 1, 10_000);
    expect(downs).toContain(true);
  }, 15_000);

  it('gives up on a master that never welcomes, and tries the next', async () => {
    const silent = new FakeMaster(() => undefined);
    await silent.start();
    cleanups.push(() => silent.stop());
    const good = new FakeMaster((call) => {
      call.write({ message: { $case: 'welcome', welcome: { masterName: 'm2', heartbeatIntervalMs: 10_000 } } });
    });
    await good.start();
    cleanups.push(() => good.stop());
    const clock = new FakeClock(0);
    const { s } = session([`127.0.0.1:${silent.port}`, `127.0.0.1:${good.port}`], { clock });
    s.start();
    await waitFor(() => silent.of('hello').length === 1);
    clock.advance(15_000);
    await waitFor(() => clock.pending() > 0);
    clock.advance(1_000);
    await waitFor(() => s.connected);
    expect(good.of('hello')).toHaveLength(1);
  });

  it('moves to the next master within seconds when its master freezes (no answer, not even to pings)', async () => {
    const welcome = (name: string) => (call: ServerDuplexStream<AgentMessage, MasterMessage>) =>
      call.write({ message: { $case: 'welcome', welcome: { masterName: name, heartbeatIntervalMs: 100 } } });
    const first = new FakeMaster(welcome('m1'));
    const second = new FakeMaster(welcome('m2'));
    await first.start();
    await second.start();
    const relay = new FreezableRelay(first.port);
    await relay.start();
    cleanups.push(() => first.stop(), () => second.stop(), () => relay.stop());
    const { s } = session([`127.0.0.1:${relay.port}`, `127.0.0.1:${second.port}`], {
      connect: grpcStreamFactory(undefined, { timeMs: 200, timeoutMs: 300 }),
    });
    s.start();
    await waitFor(() => first.of('heartbeat').length >= 1);
    relay.freeze();
    const frozenAt = Date.now();
    await waitFor(() => second.of('hello').length === 1 && s.connected, 5_000);
    // Ping every 200 ms, 300 ms to answer, then the first reconnect delay (20 ms here).
    expect(Date.now() - frozenAt).toBeLessThan(2_000);
    // The statuses are reported to the new master.
    await waitFor(() => second.of('podStatus').length === 1);
  });

  it('gives up on a master that accepts TCP but never completes the connection, after the connect timeout', async () => {
    // The kernel of a frozen master: connections accepted, never answered.
    const held: net.Socket[] = [];
    const frozen = net.createServer((c) => held.push(c));
    await new Promise<void>((r) => frozen.listen(0, '127.0.0.1', r));
    const good = new FakeMaster((call) => {
      call.write({ message: { $case: 'welcome', welcome: { masterName: 'm2', heartbeatIntervalMs: 10_000 } } });
    });
    await good.start();
    cleanups.push(() => good.stop(), () => {
      for (const c of held) c.destroy();
      frozen.close();
    });
    const { s } = session([`127.0.0.1:${(frozen.address() as net.AddressInfo).port}`, `127.0.0.1:${good.port}`], { connectTimeoutMs: 300 });
    const started = Date.now();
    s.start();
    await waitFor(() => s.connected, 5_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(held.length).toBeGreaterThanOrEqual(1);
  });

  it('does not send pod status while disconnected', async () => {
    const { s } = session(['127.0.0.1:1']);
    s.start();
    expect(s.connected).toBe(false);
    expect(() => s.sendPodStatus({ namespace: 'd', name: 'x', uid: 'u', status: undefined, deleted: false })).not.toThrow();
  });
});

describe('reconnectDelay', () => {
  it.each([
    { name: 'first retry, no jitter', failures: 1, random: 0, want: 250 },
    { name: 'first retry, full jitter', failures: 1, random: 1, want: 500 },
    { name: 'doubles', failures: 3, random: 0.5, want: 1500 },
    { name: 'capped at 30 s', failures: 20, random: 1, want: 30_000 },
    { name: 'capped, least jitter', failures: 20, random: 0, want: 15_000 },
  ])('$name', ({ failures, random, want }) => {
    expect(reconnectDelay(failures, () => random)).toBe(want);
  });
});
