import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Condition } from '@orchard/api';
import { FakeClock } from '../pods/fake-clock';
import type { EngineInfo, EventSubscription } from '../runtime/container-runtime';
import { RuntimeUnavailableError } from '../runtime/errors';
import { EngineHealth, RUNTIME_UNHEALTHY_REASON, reportingUnavailable } from './engine-health';

/** An engine that answers or not, with event streams that break when it goes away. */
class FakeEngine {
  up = true;
  infoCalls = 0;
  streams = new Set<(err?: Error) => void>();
  readonly runtime = {
    info: async (): Promise<EngineInfo> => {
      this.infoCalls++;
      if (!this.up) throw new Error('failed to read engine info', { cause: new Error('connect ECONNREFUSED /run/docker.sock') });
      return { version: '20.10.24', apiVersion: '1.41', operatingSystem: 'Debian', architecture: 'aarch64', cgroupVersion: '2', cgroupDriver: 'systemd' } as unknown as EngineInfo;
    },
    watchEvents: (_labels: Readonly<Record<string, string>>, _onEvent: unknown, onEnd: (err?: Error) => void): EventSubscription => {
      this.streams.add(onEnd);
      return { close: () => void this.streams.delete(onEnd) };
    },
  };

  /** dockerd stops: its event streams end. */
  stop(): void {
    this.up = false;
    const ends = [...this.streams];
    this.streams.clear();
    for (const end of ends) end(new Error('socket hang up'));
  }
}

const flush = () => new Promise((r) => setImmediate(r));

function setup(up = true) {
  const engine = new FakeEngine();
  engine.up = up;
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  const changes: Array<Condition | undefined> = [];
  const health = new EngineHealth({ runtime: engine.runtime, socketPath: '/run/docker.sock', clock, logger: pino({ level: 'silent' }), onChange: (c) => changes.push(c) });
  return { engine, clock, changes, health };
}

describe('EngineHealth', () => {
  it('holds one event stream and asks nothing more while the engine answers', async () => {
    const { engine, clock, changes, health } = setup();
    health.start();
    await flush();
    clock.advance(600_000);
    await flush();
    expect(engine.infoCalls).toBe(1);
    expect(engine.streams.size).toBe(1);
    expect(changes).toEqual([]);
    expect(health.notReady).toBeUndefined();
    health.stop();
    expect(engine.streams.size).toBe(0);
  });

  it('reports not ready when the stream ends and the engine does not answer, then ready when it does', async () => {
    const { engine, clock, changes, health } = setup();
    health.start();
    await flush();
    engine.stop();
    await flush();
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      type: 'Ready',
      status: 'False',
      reason: RUNTIME_UNHEALTHY_REASON,
      message: 'Docker engine is not answering on /run/docker.sock: connect ECONNREFUSED /run/docker.sock',
      lastTransitionTime: '2026-01-01T00:00:00.000Z',
    });
    // Asked every second while down; the same failure is reported once.
    clock.advance(3_000);
    await flush();
    expect(engine.infoCalls).toBeGreaterThanOrEqual(3);
    expect(changes).toHaveLength(1);
    engine.up = true;
    clock.advance(1_000);
    await flush();
    expect(changes).toEqual([changes[0], undefined]);
    expect(health.notReady).toBeUndefined();
    // Watching again.
    expect(engine.streams.size).toBe(1);
    health.stop();
  });

  it('does not flap when a stream ends but the engine still answers', async () => {
    const { engine, changes, health } = setup();
    health.start();
    await flush();
    const [end] = [...engine.streams];
    engine.streams.clear();
    end!(new Error('stream reset'));
    await flush();
    expect(changes).toEqual([]);
    expect(engine.streams.size).toBe(1);
    health.stop();
  });

  it('reports not ready at start when the engine is down, and stops asking once stopped', async () => {
    const { engine, clock, changes, health } = setup(false);
    health.start();
    await flush();
    expect(changes.map((c) => c?.status)).toEqual(['False']);
    health.stop();
    const calls = engine.infoCalls;
    clock.advance(10_000);
    await flush();
    expect(engine.infoCalls).toBe(calls);
    expect(clock.pending()).toBe(0);
  });

  it('asks at once when another caller finds the engine gone, before its event stream ends', async () => {
    const { engine, changes, health } = setup();
    health.start();
    await flush();
    // dockerd stopping cleanly: the socket is gone, the old stream still open.
    engine.up = false;
    health.suspect();
    await flush();
    expect(changes.map((c) => c?.reason)).toEqual([RUNTIME_UNHEALTHY_REASON]);
    // The old stream is closed on purpose; its late end starts no second retry loop.
    expect(engine.streams.size).toBe(0);
    const calls = engine.infoCalls;
    health.suspect();
    await flush();
    expect(engine.infoCalls).toBe(calls);
    health.stop();
  });

  it('ignores a suspicion the engine disproves', async () => {
    const { engine, changes, health } = setup();
    health.start();
    await flush();
    health.suspect();
    await flush();
    expect(changes).toEqual([]);
    expect(engine.streams.size).toBe(1);
    health.stop();
  });
});

describe('reportingUnavailable', () => {
  class Engine {
    private readonly answer = 'ok';
    async list(fail?: Error): Promise<string> {
      if (fail) throw fail;
      return this.answer;
    }
    name(): string {
      return this.answer;
    }
  }

  const cases: Array<{ name: string; fail?: Error; reported: number }> = [
    { name: 'a call that succeeds', reported: 0 },
    { name: 'a call that finds the engine gone', fail: new RuntimeUnavailableError('failed to list containers: connect ENOENT'), reported: 1 },
    { name: 'a call that fails for another reason', fail: new Error('conflict'), reported: 0 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      let reported = 0;
      const wrapped = reportingUnavailable(new Engine(), () => reported++);
      const out = wrapped.list(c.fail);
      if (c.fail) await expect(out).rejects.toBe(c.fail);
      else expect(await out).toBe('ok');
      expect(reported).toBe(c.reported);
      // Methods keep their object (private state) and plain results pass through.
      expect(wrapped.name()).toBe('ok');
    });
  }
});
