import { mkdtempSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { describeResult, orchardOk, parseTable, waitFor } from '../bed/cli';
import { dockerOk } from '../bed/docker';
import type {} from '../bed/facts';
import { TEST_IMAGES } from '../bed/images';
import { nodeEngine, type SimNode } from '../bed/netns-node';
import { useCluster } from '../bed/use-cluster';

// Issue 3, probes and restarts: a failing liveness probe restarts the container and
// counts the restart; a readiness probe drives READY; a crashing container reaches
// CrashLoopBackOff with growing delays; deletion runs preStop before SIGTERM and
// SIGKILLs a container that ignores SIGTERM once its grace period is over.

const bed = inject('bed');
/** A host directory the graceful-stop pod writes into (hostPath: the nodes share the host's filesystem). */
const hostDir = mkdtempSync(path.join(os.tmpdir(), 'orchard-prestop-'));
chmodSync(hostDir, 0o777);

const IMAGE = TEST_IMAGES.busybox;

const LIVENESS = `
apiVersion: v1
kind: Pod
metadata: { name: liveness }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: ${IMAGE}
      imagePullPolicy: Never
      command: ["sh", "-c", "touch /tmp/healthy; sleep 4; rm -f /tmp/healthy; sleep 600"]
      livenessProbe:
        exec: { command: ["cat", "/tmp/healthy"] }
        initialDelaySeconds: 1
        periodSeconds: 1
        failureThreshold: 2
`;

const READINESS = `
apiVersion: v1
kind: Pod
metadata: { name: readiness }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: web
      image: ${IMAGE}
      imagePullPolicy: Never
      command: ["sh", "-c", "mkdir -p /www; (sleep 3; echo ok > /www/ready.html) & exec httpd -f -p 8080 -h /www"]
      ports: [{ name: http, containerPort: 8080 }]
      readinessProbe:
        httpGet: { path: /ready.html, port: http }
        periodSeconds: 1
        failureThreshold: 1
`;

const CRASHER = `
apiVersion: v1
kind: Pod
metadata: { name: crasher }
spec:
  containers:
    - name: app
      image: ${IMAGE}
      imagePullPolicy: Never
      command: ["sh", "-c", "exit 1"]
`;

const GRACEFUL = `
apiVersion: v1
kind: Pod
metadata: { name: graceful }
spec:
  terminationGracePeriodSeconds: 10
  volumes:
    - name: log
      hostPath: { path: ${hostDir} }
  containers:
    - name: app
      image: ${IMAGE}
      imagePullPolicy: Never
      command: ["sh", "-c", "trap 'echo term >> /log/events; exit 0' TERM; echo started >> /log/events; while true; do sleep 1; done"]
      volumeMounts: [{ name: log, mountPath: /log }]
      lifecycle:
        preStop:
          exec: { command: ["sh", "-c", "echo prestop >> /log/events; sleep 1"] }
`;

const STUBBORN = `
apiVersion: v1
kind: Pod
metadata: { name: stubborn }
spec:
  terminationGracePeriodSeconds: 3
  containers:
    - name: app
      image: ${IMAGE}
      imagePullPolicy: Never
      command: ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"]
`;

const c = useCluster(bed, { name: 'probes-restarts' }, {
  // All pods at once: their clocks run in parallel.
  setUp: async (cluster) => {
    for (const [name, text] of Object.entries({ LIVENESS, READINESS, CRASHER, GRACEFUL, STUBBORN })) {
      const file = cluster.manifestFile(`${name.toLowerCase()}.yaml`, text);
      const r = await cluster.cli(['apply', '-f', file]);
      if (r.code !== 0) throw new Error(describeResult(['apply', '-f', file], r));
    }
  },
  // After the pods are gone: the graceful pod's preStop hook writes into the folder.
  cleanUp: () => rmSync(hostDir, { recursive: true, force: true }),
});

async function podRow(name: string) {
  const rows = parseTable(await orchardOk(c().cli, ['get', 'pods']));
  const row = rows.find((r) => r.NAME === name);
  if (!row) throw new Error(`no row for ${name}`);
  return row;
}

function nodeOf(pod: Record<string, any>): SimNode {
  const n = bed.nodes.find((x) => x.name === pod.spec?.nodeName);
  if (!n) throw new Error(`pod ${pod.metadata?.name} is on no simulated node (${pod.spec?.nodeName})`);
  return n;
}

const status = async (name: string) => (await c().getPod(name))?.status?.containerStatuses?.[0];

describe('liveness', () => {
  it('restarts the container once its probe fails, and counts the restart', async () => {
    const s = await waitFor('pod liveness to report a restart', async () => {
      const cs = await status('liveness');
      return cs && cs.restartCount >= 1 ? cs : undefined;
    }, { timeoutMs: 40_000, intervalMs: 250 });
    // Killed by the agent (SIGTERM ignored by sh as pid 1, then SIGKILL after the 1 s grace).
    expect(s.lastState?.terminated, JSON.stringify(s)).toMatchObject({ reason: 'Error', exitCode: 137 });
    // The file is back in the new container: it runs again (the probe passes for 4 s).
    const pod = await c().waitPodPhase('liveness', 'Running');
    const containers = await c().podContainers(nodeOf(pod), 'liveness');
    expect(containers.filter((x) => x.labels['io.orchard.container.name'] === 'app').length).toBeGreaterThanOrEqual(2);
    expect(Number((await podRow('liveness')).RESTARTS.split(' ')[0])).toBeGreaterThanOrEqual(1);
  });
});

describe('readiness', () => {
  it('turns READY 0/1 into 1/1 once the probe passes, and back when it fails', async () => {
    const pod = await c().waitPodPhase('readiness', 'Running');
    await waitFor('READY 1/1 for readiness', async () => (await podRow('readiness')).READY === '1/1', { timeoutMs: 20_000, intervalMs: 200 });
    const ready = await c().getPod('readiness');
    expect(ready?.status?.conditions?.find((x: any) => x.type === 'Ready')?.status).toBe('True');

    const app = (await c().podContainers(nodeOf(pod), 'readiness')).find((x) => x.running && x.labels['io.orchard.container.name'] === 'web');
    expect(app, 'the running web container').toBeDefined();
    await dockerOk(nodeEngine(nodeOf(pod)), ['exec', app!.id, 'rm', '/www/ready.html']);
    await waitFor('READY 0/1 for readiness', async () => (await podRow('readiness')).READY === '0/1', { timeoutMs: 20_000, intervalMs: 200 });
    const unready = await c().getPod('readiness');
    expect(unready?.status?.conditions?.find((x: any) => x.type === 'Ready')?.status).toBe('False');
    // Unready is not unhealthy: the container keeps running.
    expect(unready?.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    expect(unready?.status?.phase).toBe('Running');
  });
});

describe('a crashing container', () => {
  it('reaches CrashLoopBackOff and waits longer before each restart', async () => {
    // Every attempt seen in the status by its index (the restart count it ran with). The
    // exited container is lastState while the next one waits in back-off.
    // The pod started with the file, so the earliest attempts may be over before this test
    // polls: any three consecutive attempts k, k+1, k+2 (k >= 1) show the doubling.
    const attempts = new Map<number, { started: number; finished: number }>();
    const firstRun = () => [...attempts.keys()].sort((a, b) => a - b).find((k) => k >= 1 && attempts.has(k + 1) && attempts.has(k + 2));
    let sawBackOff = false;
    await waitFor('attempts 1 to 3 of pod crasher', async () => {
      const cs = await status('crasher');
      const t = cs?.lastState?.terminated;
      if (cs?.state?.waiting?.reason === 'CrashLoopBackOff') {
        sawBackOff = true;
        expect(cs.state.waiting.message).toMatch(/back-off \d+s restarting failed container=app pod=crasher_default/);
        if (t?.startedAt && t.finishedAt) attempts.set(cs.restartCount, { started: Date.parse(t.startedAt), finished: Date.parse(t.finishedAt) });
      }
      return firstRun() !== undefined;
    }, { timeoutMs: 110_000, intervalMs: 250 });
    expect(sawBackOff).toBe(true);
    expect((await podRow('crasher')).STATUS).toBe('CrashLoopBackOff');

    // The pause before attempt i+1: its start minus attempt i's end (whole seconds in the
    // status). Back-off after restart i is 10 s doubling: 10, 20, 40, ...
    const k = firstRun()!;
    const delay = (i: number) => (attempts.get(i + 1)!.started - attempts.get(i)!.finished) / 1000;
    const delays = [delay(k), delay(k + 1)];
    const expected = [10 * 2 ** (k - 1), 10 * 2 ** k];
    process.stderr.write(`[probes-restarts] back-off before restarts ${k + 1} and ${k + 2}: ${delays.join(', ')} s (expected ${expected.join(', ')})\n`);
    expect(delays[0], `delays ${delays}`).toBeGreaterThanOrEqual(expected[0]! - 1);
    expect(delays[0], `delays ${delays}`).toBeLessThanOrEqual(expected[0]! + 5);
    expect(delays[1], `delays ${delays}`).toBeGreaterThanOrEqual(expected[1]! - 1);
    expect(delays[1], `delays ${delays}`).toBeLessThanOrEqual(expected[1]! + 5);
    const cs = await status('crasher');
    expect(cs.restartCount).toBeGreaterThanOrEqual(3);
    expect(cs.lastState?.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
  }, 150_000);
});

describe('graceful stop', () => {
  it('runs the preStop hook before the container gets SIGTERM', async () => {
    await c().waitPodPhase('graceful', 'Running');
    await waitFor('the graceful pod to write its start', () => readFileSync(path.join(hostDir, 'events'), 'utf8').includes('started'), { timeoutMs: 20_000 });
    const r = await c().cli(['delete', 'pod', 'graceful']);
    expect(r.code, describeResult(['delete', 'pod', 'graceful'], r)).toBe(0);
    await waitFor('pod graceful to be gone', async () => (await c().getPod('graceful')) === undefined, { timeoutMs: 30_000 });
    expect(readFileSync(path.join(hostDir, 'events'), 'utf8').trim().split('\n')).toEqual(['started', 'prestop', 'term']);
  });

  it('kills a container that ignores SIGTERM after terminationGracePeriodSeconds', async () => {
    const pod = await c().waitPodPhase('stubborn', 'Running');
    const node = nodeOf(pod);
    const app = (await c().podContainers(node, 'stubborn')).find((x) => x.labels['io.orchard.container.name'] === 'app');
    expect(app).toBeDefined();
    const began = Date.now();
    const r = await c().cli(['delete', 'pod', 'stubborn']);
    expect(r.code, describeResult(['delete', 'pod', 'stubborn'], r)).toBe(0);
    await waitFor('the stubborn container to be removed', async () => (await c().podContainers(node, 'stubborn')).length === 0, { timeoutMs: 30_000 });
    // The engine's own record of the container's end: its die event, with time and exit code.
    const events = await dockerOk(nodeEngine(node), [
      'events', '--since', String(Math.floor(began / 1000) - 1), '--until', String(Math.ceil(Date.now() / 1000) + 1),
      '--filter', `container=${app!.id}`, '--filter', 'event=die', '--format', '{{.TimeNano}} {{index .Actor.Attributes "exitCode"}}',
    ]);
    const [nanos, code] = events.trim().split('\n')[0]!.split(' ');
    const finished = { at: Number(BigInt(nanos!) / 1_000_000n), code: Number(code) };
    const took = (finished.at - began) / 1000;
    process.stderr.write(`[probes-restarts] a container ignoring SIGTERM stopped ${took.toFixed(2)} s after delete (grace 3 s)\n`);
    expect(finished.code, 'killed by SIGKILL').toBe(137);
    expect(took).toBeGreaterThanOrEqual(2.8);
    expect(took).toBeLessThan(10);
  });
});
