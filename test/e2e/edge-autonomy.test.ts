import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { expect, inject, it } from 'vitest';
import { describeResult, itemsOf, sleep, waitFor } from '../bed/cli';
import { docker, type ContainerInfo } from '../bed/docker';
import { exec } from '../bed/exec';
import type {} from '../bed/facts';
import { TEST_IMAGES } from '../bed/images';
import { nodeEngine } from '../bed/netns-node';
import { waitExit } from '../bed/processes';
import { useCluster } from '../bed/use-cluster';

// Issue 3, edge autonomy: with the master stopped for 60 s running pods are untouched and
// a killed container is restarted by the agent; an agent restarted while the master is
// still down brings its pods back from its local copy — a pod's env from a Secret and its
// configMap and secret volumes included, rebuilt after its container and files were gone,
// the Secret never in plaintext in the copy; when the master is back each pod is there
// once, Running, with current statuses.

const bed = inject('bed');
const node = bed.nodes[0];
const c = useCluster(bed, { name: 'edge-autonomy', nodes: [node] });

const PODS = ['steady', 'victim', 'configured'];

/** A pod reading a ConfigMap (volume) and a Secret (env and volume), and what it reads. */
const CONFIG = `apiVersion: v1
kind: ConfigMap
metadata:
  name: edge-config
data:
  app.conf: "mode=offline-ready"
---
apiVersion: v1
kind: Secret
metadata:
  name: edge-secret
stringData:
  password: edge-s3cret-value
`;

function pod(name: string): string {
  if (name === 'configured') {
    return `apiVersion: v1
kind: Pod
metadata:
  name: configured
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${TEST_IMAGES.busybox}
      imagePullPolicy: IfNotPresent
      command: ["sleep", "3600"]
      env:
        - name: DB_PASSWORD
          valueFrom:
            secretKeyRef: { name: edge-secret, key: password }
      volumeMounts:
        - { name: config, mountPath: /etc/app }
        - { name: creds, mountPath: /etc/creds }
  volumes:
    - name: config
      configMap: { name: edge-config }
    - name: creds
      secret: { secretName: edge-secret }
`;
  }
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${TEST_IMAGES.busybox}
      imagePullPolicy: IfNotPresent
      command: ["sleep", "3600"]
`;
}

/** The app containers (not the infra container) of a pod on the node. */
async function appContainers(name: string): Promise<ContainerInfo[]> {
  return (await c().podContainers(node, name)).filter((x) => x.labels['io.orchard.container.name'] !== 'POD');
}

function fingerprint(cs: ContainerInfo[]) {
  return cs.map((x) => ({ id: x.id, startedAt: x.startedAt, running: x.running })).sort((a, b) => a.id.localeCompare(b.id));
}

/** Waits until every pod has exactly one running app container started after `after` (ISO time), if given. */
async function waitPodsRunningOnNode(what: string, after?: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    what,
    async () => {
      for (const name of PODS) {
        const running = (await appContainers(name)).filter((x) => x.running);
        if (running.length !== 1) throw new Error(`${name}: ${running.length} running app containers`);
        if (after && !(Date.parse(running[0]!.startedAt) > Date.parse(after))) throw new Error(`${name}: not started again yet`);
      }
      return true;
    },
    { timeoutMs, intervalMs: 250 },
  );
}

function nowIso(): string {
  return new Date().toISOString();
}

/** What the configured pod's container reads: its env and its two volumes. */
async function configuredView(): Promise<{ password: string; conf: string; secretFile: string }> {
  const [main] = (await appContainers('configured')).filter((x) => x.running);
  if (!main) throw new Error('configured: no running app container');
  const sh = async (cmd: string) => {
    const r = await docker(nodeEngine(node), ['exec', main.id, 'sh', '-c', cmd], { timeoutMs: 15_000 });
    if (r.code !== 0) throw new Error(`configured: ${cmd}: ${r.stderr}`);
    return r.stdout;
  };
  return { password: (await sh('echo -n "$DB_PASSWORD"')), conf: await sh('cat /etc/app/app.conf'), secretFile: await sh('cat /etc/creds/password') };
}

const EXPECTED_VIEW = { password: 'edge-s3cret-value', conf: 'mode=offline-ready', secretFile: 'edge-s3cret-value' };

it('keeps pods running without the master, restarts what dies, and reconciles when the master is back', async () => {
  const applied = await c().cli(['apply', '-f', '-'], { input: CONFIG });
  expect(applied.code, describeResult(['apply', '-f', '-'], applied)).toBe(0);
  for (const name of PODS) {
    const r = await c().cli(['apply', '-f', '-'], { input: pod(name) });
    expect(r.code, describeResult(['apply', '-f', '-'], r)).toBe(0);
  }
  for (const name of PODS) await c().waitPodPhase(name, 'Running', 30_000);
  expect(await configuredView()).toEqual(EXPECTED_VIEW);
  const configuredUid = String((await c().getPod('configured'))?.metadata?.uid);
  const steadyBefore = fingerprint(await c().podContainers(node, 'steady'));
  expect(steadyBefore.length).toBe(2); // infra + main
  expect(steadyBefore.every((x) => x.running)).toBe(true);

  // 1. The master stops for 60 s.
  const master = c().masters[0]!;
  const stoppedAt = Date.now();
  await c().stopMaster(master.name, 'SIGTERM');
  expect(master.proc.exit).toBeDefined();

  // A container killed meanwhile is restarted by the agent alone.
  const [victim] = await appContainers('victim');
  expect(victim?.running).toBe(true);
  const killedAt = nowIso();
  const k = await docker(nodeEngine(node), ['kill', victim!.id]);
  expect(k.code, k.stderr).toBe(0);
  const restarted = await waitFor(
    'the killed container of victim to run again',
    async () => (await appContainers('victim')).find((x) => x.running && Date.parse(x.startedAt) > Date.parse(killedAt)),
    { timeoutMs: 5_000, intervalMs: 100 },
  );
  process.stderr.write(`[edge] killed container running again after ${Date.parse(restarted.startedAt) - Date.parse(killedAt)} ms\n`);

  await sleep(Math.max(0, 60_000 - (Date.now() - stoppedAt)));
  // Nothing else changed: same containers, same start times.
  expect(fingerprint(await c().podContainers(node, 'steady'))).toEqual(steadyBefore);
  expect((await appContainers('victim')).filter((x) => x.running)).toHaveLength(1);

  // 2. The agent crashes while the master is still down, and its pods' containers die too.
  const agent = c().agents.get(node.name)!;
  await c().stopAgent(node, 'SIGKILL');
  expect((await waitExit(agent)).signal).toBe('SIGKILL');
  const killedAllAt = nowIso();
  for (const name of PODS) {
    for (const x of await appContainers(name)) await docker(nodeEngine(node), ['kill', x.id]);
  }
  for (const name of PODS) expect((await appContainers(name)).filter((x) => x.running)).toHaveLength(0);
  // The configured pod loses more, as in a reboot: its app container is gone (its env must
  // be built again from the Secret) and so are its volume files and the secret tmpfs.
  for (const x of await appContainers('configured')) await docker(nodeEngine(node), ['rm', '-f', x.id]);
  const agentDir = path.join(c().runDir, `agent-${node.name}`);
  const podFiles = path.join(agentDir, 'pods', configuredUid);
  await exec('umount', [path.join(podFiles, 'volumes', 'creds')]);
  await rm(podFiles, { recursive: true, force: true });
  // The local copy holds the ConfigMap and the Secret, the Secret never in plaintext.
  const copy = await readFile(path.join(agentDir, 'desired-pods.pb'));
  expect(copy.includes(Buffer.from('mode=offline-ready')), 'ConfigMap in the local copy').toBe(true);
  expect(copy.includes(Buffer.from('edge-s3cret-value')), 'Secret in plaintext in the local copy').toBe(false);
  expect((await stat(path.join(agentDir, 'desired-pods.pb'))).mode & 0o777).toBe(0o600);
  c().startAgent(node);
  // From the local copy of its desired pods: the master is still down.
  await waitPodsRunningOnNode('the restarted agent to bring its pods back without a master', killedAllAt);
  // With its env and both volumes rebuilt from the local copy.
  expect(await configuredView()).toEqual(EXPECTED_VIEW);
  expect(c().masters[0]!.proc.exit).toBeDefined();

  // 3. The master comes back: each pod once, Running, restarts counted, no duplicate on the node.
  await c().startMaster(1);
  await c().waitNodesReady([node]);
  const pods = await waitFor(
    'pod statuses to be current after the master is back',
    async () => {
      const r = await c().cli(['get', 'pods', '-o', 'json']);
      if (r.code !== 0) throw new Error(r.stderr);
      const items = itemsOf(r.stdout);
      const victimStatus = items.find((p) => p.metadata?.name === 'victim');
      const restarts = Number(victimStatus?.status?.containerStatuses?.[0]?.restartCount ?? 0);
      return items.every((p) => p.status?.phase === 'Running') && restarts >= 2 ? items : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500 },
  );
  expect(pods.map((p) => p.metadata?.name).sort()).toEqual([...PODS].sort());
  for (const name of PODS) {
    const all = await c().podContainers(node, name);
    expect(all.filter((x) => x.running), `${name}: running containers`).toHaveLength(2);
    expect(new Set(all.map((x) => x.labels['io.orchard.pod.uid'])).size).toBe(1);
  }
  expect((await c().orchardContainers(node)).filter((x) => x.running)).toHaveLength(2 * PODS.length);
  expect(await configuredView()).toEqual(EXPECTED_VIEW);
}, 180_000);
