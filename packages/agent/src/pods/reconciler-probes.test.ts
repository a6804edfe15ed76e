import { describe, expect, it } from 'vitest';
import { Pod, type PodStatusUpdate } from '@orchard/api';
import pino from 'pino';
import { FakeRuntime } from '../runtime/fake-runtime';
import { LABEL_CONTAINER_NAME, LABEL_POD_UID } from './container-labels';
import { FakeClock } from './fake-clock';
import { PodReconciler } from './reconciler';

// Probes and lifecycle hooks through the reconciler, on a fake engine and a fake clock.

const NODE = 'pi1';
const PAUSE = 'orchard-test/pause:1';
const IMAGE = 'orchard-test/busybox:1';

function pod(container: Record<string, unknown>, spec: Record<string, unknown> = {}): Pod {
  return Pod.fromPartial({
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1' },
    spec: {
      nodeName: NODE,
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 5,
      containers: [{ name: 'app', image: IMAGE, command: ['sleep', '1000'], ...container }],
      ...spec,
    },
  });
}

const probe = (command: string[], extra: Record<string, unknown> = {}) => ({
  exec: { command },
  periodSeconds: 10,
  timeoutSeconds: 1,
  successThreshold: 1,
  failureThreshold: 3,
  ...extra,
});

function setup() {
  const clock = new FakeClock(Date.parse('2026-11-25T12:00:00Z'));
  const runtime = new FakeRuntime(clock);
  runtime.images.add(PAUSE);
  runtime.images.add(IMAGE);
  /** Files that exist in every container, as the exec commands see them. */
  const files = new Set<string>(['/tmp/healthy', '/tmp/ready', '/tmp/started']);
  runtime.execHandler = (_c, cmd) => {
    if (cmd[0] === 'cat') return files.has(cmd[1]!) ? { exitCode: 0, output: '' } : { exitCode: 1, output: `cat: can't open '${cmd[1]}': No such file or directory` };
    return { exitCode: 0, output: '' };
  };
  const updates: PodStatusUpdate[] = [];
  const reconciler = new PodReconciler({
    runtime,
    clock,
    logger: pino({ level: 'silent' }),
    nodeName: NODE,
    pauseImage: PAUSE,
    hostIP: () => '192.168.77.11',
    onStatus: (u) => updates.push(u),
  });
  reconciler.start();
  const settle = async () => {
    for (let i = 0; i < 6; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await reconciler.idle();
    }
  };
  /** Moves time in one-second steps so asynchronous probe attempts interleave as in real time. */
  const pass = async (seconds: number) => {
    for (let i = 0; i < seconds; i++) {
      clock.advance(1_000);
      await settle();
    }
  };
  const status = () => [...updates].reverse().find((u) => u.name === 'web')!.status!;
  const app = () => runtime.find({ [LABEL_POD_UID]: 'uid-1', [LABEL_CONTAINER_NAME]: 'app' });
  const condition = (type: string) => status().conditions.find((c) => c.type === type)?.status;
  return { clock, runtime, files, reconciler, settle, pass, status, app, condition };
}

describe('PodReconciler probes', () => {
  it('restarts a container whose liveness probe fails failureThreshold times, counting a restart', async () => {
    const { runtime, files, reconciler, settle, pass, status, app } = setup();
    reconciler.setDesired([pod({ livenessProbe: probe(['cat', '/tmp/healthy'], { initialDelaySeconds: 5, periodSeconds: 5 }) })]);
    await settle();
    await pass(20);
    expect(status().containerStatuses[0]!.restartCount).toBe(0);
    files.delete('/tmp/healthy');
    // Failures at the next three periods (5 s apart); the third kills the container.
    await pass(10);
    expect(status().containerStatuses[0]!.restartCount).toBe(0);
    await pass(6);
    const s = status().containerStatuses[0]!;
    expect(s.restartCount).toBe(1);
    expect(s.state!.running).toBeDefined();
    expect(s.lastState!.terminated).toMatchObject({ exitCode: 137, reason: 'Error' });
    expect(app().filter((c) => c.state === 'running')).toHaveLength(1);
    // The kill used the pod's grace period (docker stop -t 5).
    expect(runtime.calls.filter((c) => c.startsWith('stop orchard_default_web_app'))).toEqual(['stop orchard_default_web_app_uid1_0 t=5']);
  });

  it('uses probe.terminationGracePeriodSeconds for a liveness kill when set', async () => {
    const { runtime, files, reconciler, settle, pass } = setup();
    files.delete('/tmp/healthy');
    reconciler.setDesired([pod({ livenessProbe: probe(['cat', '/tmp/healthy'], { failureThreshold: 1, terminationGracePeriodSeconds: 1 }) })]);
    await settle();
    await pass(2);
    expect(runtime.calls.filter((c) => c.startsWith('stop orchard_default_web_app_uid1_0'))).toEqual(['stop orchard_default_web_app_uid1_0 t=1']);
  });

  it('kills but does not restart a liveness failure under restartPolicy Never', async () => {
    const { files, reconciler, settle, pass, status } = setup();
    files.delete('/tmp/healthy');
    reconciler.setDesired([pod({ livenessProbe: probe(['cat', '/tmp/healthy'], { failureThreshold: 1 }) }, { restartPolicy: 'Never' })]);
    await settle();
    await pass(3);
    const s = status();
    expect(s.phase).toBe('Failed');
    expect(s.containerStatuses[0]!.restartCount).toBe(0);
    expect(s.containerStatuses[0]!.state!.terminated?.exitCode).toBe(137);
  });

  it('drives READY and the Ready condition from the readiness probe, with its successThreshold', async () => {
    const { files, reconciler, settle, pass, status, condition } = setup();
    reconciler.setDesired([pod({ readinessProbe: probe(['cat', '/tmp/ready'], { periodSeconds: 2, successThreshold: 2, failureThreshold: 1 }) })]);
    await settle();
    // Running but not yet ready: one success is not enough.
    expect(status().phase).toBe('Running');
    expect(status().containerStatuses[0]!.ready).toBe(false);
    expect(condition('Ready')).toBe('False');
    await pass(1);
    expect(condition('ContainersReady')).toBe('False');
    await pass(2);
    expect(status().containerStatuses[0]!.ready).toBe(true);
    expect(condition('Ready')).toBe('True');
    expect(condition('ContainersReady')).toBe('True');
    files.delete('/tmp/ready');
    await pass(2);
    expect(condition('Ready')).toBe('False');
    expect(status().containerStatuses[0]!.restartCount).toBe(0);
    files.add('/tmp/ready');
    await pass(4);
    expect(condition('Ready')).toBe('True');
  });

  it('holds liveness and readiness until the startup probe succeeds', async () => {
    const { runtime, files, reconciler, settle, pass, status } = setup();
    files.delete('/tmp/started');
    files.delete('/tmp/healthy');
    reconciler.setDesired([
      pod({
        startupProbe: probe(['cat', '/tmp/started'], { periodSeconds: 1, failureThreshold: 30 }),
        livenessProbe: probe(['cat', '/tmp/healthy'], { periodSeconds: 1, failureThreshold: 1 }),
        readinessProbe: probe(['cat', '/tmp/ready'], { periodSeconds: 1 }),
      }),
    ]);
    await settle();
    await pass(10);
    // Liveness would have failed at once, but it has not run: startup has not passed.
    expect(runtime.calls.some((c) => c.includes('/tmp/healthy'))).toBe(false);
    expect(status().containerStatuses[0]).toMatchObject({ started: false, ready: false, restartCount: 0 });
    files.add('/tmp/started');
    files.add('/tmp/healthy');
    await pass(3);
    expect(status().containerStatuses[0]).toMatchObject({ started: true, ready: true, restartCount: 0 });
    expect(runtime.calls.some((c) => c.includes('/tmp/healthy'))).toBe(true);
  });

  it('restarts a container whose startup probe fails failureThreshold times', async () => {
    const { files, reconciler, settle, pass, status } = setup();
    files.delete('/tmp/started');
    reconciler.setDesired([pod({ startupProbe: probe(['cat', '/tmp/started'], { periodSeconds: 1, failureThreshold: 3 }) })]);
    await settle();
    await pass(4);
    expect(status().containerStatuses[0]!.restartCount).toBe(1);
  });
});

describe('PodReconciler lifecycle hooks', () => {
  it('runs preStop before stopping a container on deletion', async () => {
    const { runtime, reconciler, settle } = setup();
    const p = pod({ lifecycle: { preStop: { exec: { command: ['sh', '-c', 'echo bye > /shared/log'] } } } });
    reconciler.setDesired([p]);
    await settle();
    const deleting = Pod.fromPartial({ ...p, metadata: { ...p.metadata, deletionTimestamp: '2026-11-25T12:00:01Z', deletionGracePeriodSeconds: 5 } });
    reconciler.setDesired([deleting]);
    await settle();
    const calls = runtime.calls.filter((c) => c.includes('_app_'));
    const hook = calls.indexOf('exec orchard_default_web_app_uid1_0 sh -c echo bye > /shared/log');
    const stop = calls.findIndex((c) => c.startsWith('stop orchard_default_web_app_uid1_0'));
    expect(hook).toBeGreaterThanOrEqual(0);
    expect(stop).toBeGreaterThan(hook);
  });

  it('runs postStart after starting, and kills the container when it fails', async () => {
    const { runtime, reconciler, settle, status } = setup();
    runtime.execHandler = (_c, cmd) => (cmd.includes('fail') ? { exitCode: 2, output: 'no' } : { exitCode: 0, output: '' });
    reconciler.setDesired([pod({ lifecycle: { postStart: { exec: { command: ['fail'] } } } })]);
    await settle();
    const calls = runtime.calls.filter((c) => c.includes('_app_uid1_0'));
    expect(calls.slice(0, 4)).toEqual([
      'create orchard_default_web_app_uid1_0',
      'start orchard_default_web_app_uid1_0',
      'exec orchard_default_web_app_uid1_0 fail',
      'stop orchard_default_web_app_uid1_0 t=5',
    ]);
    expect(status().containerStatuses[0]!.restartCount).toBeGreaterThanOrEqual(1);
  });
});

describe('PodReconciler restart back-off', () => {
  it('waits 0, 10, 20, 40, 80, 160, 300, 300 s between restarts, and starts over after 10 min of running', async () => {
    const { clock, runtime, reconciler, settle, status, app } = setup();
    reconciler.setDesired([pod({})]);
    await settle();
    const current = () => app().find((c) => c.state === 'running')!;
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      runtime.crash(current().id, 1);
      const crashedAt = clock.now();
      await settle();
      // Step through time until a new container runs.
      while (!app().some((c) => c.state === 'running')) {
        expect(status().containerStatuses[0]!.state!.waiting?.reason).toBe('CrashLoopBackOff');
        clock.advance(1_000);
        await settle();
      }
      waits.push((clock.now() - crashedAt) / 1000);
    }
    expect(waits).toEqual([0, 10, 20, 40, 80, 160, 300, 300]);
    expect(status().containerStatuses[0]!.restartCount).toBe(8);

    clock.advance(600_000);
    runtime.crash(current().id, 1);
    await settle();
    expect(status().containerStatuses[0]!.state!.running).toBeDefined();
    expect(status().containerStatuses[0]!.restartCount).toBe(9);
  });
});
