/**
 * Time until 20 pods' containers run on one node, Orchard next to Docker Swarm on the same
 * Docker engine in the same run, and the ratio. Appends the figures to bench/RESULTS.md.
 *
 *   npx tsx bench/pods-20.ts [--host-engine] [--rounds N] [--pods N]
 *
 * By default the engine is a simulated node's dockerd (test/bed), so the host's engine and
 * swarm state are left alone; --host-engine uses the host's engine instead. Needs root and
 * a build (bash test/bed/prepare.sh).
 */
import { execSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliFor, describeResult, type Cli } from '../test/bed/cli';
import { docker, dockerOk, hostEngine, type Engine } from '../test/bed/docker';
import { endpoints, startEtcd, stopEtcd, type EtcdCluster } from '../test/bed/etcd';
import { buildTestImages, saveTestImages, TEST_IMAGES } from '../test/bed/images';
import { createLan, removeLan } from '../test/bed/lan';
import { BED_ROOT, BRIDGE_ADDRESS, RUNS_DIR } from '../test/bed/layout';
import { lockBed, unlockBed } from '../test/bed/lock';
import { createNode, nodeEngine, removeNode, type SimNode } from '../test/bed/netns-node';
import { canConnect, freePort } from '../test/bed/ports';
import { createJoinCommand, waitAdminConfig } from '../test/bed/join';
import { killAll, logTail, startAgent, startMaster, stopProcess, type ManagedProcess } from '../test/bed/processes';
import { sleep, waitFor } from '../test/bed/wait';

/** The simulated node the benchmark uses: apart from the e2e run's pi1..pi3. */
const BENCH_NODE_INDEX = 9;
const POLL_MS = 50;
const RUN_TIMEOUT_MS = 120_000;

interface Args {
  hostEngine: boolean;
  rounds: number;
  pods: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { hostEngine: false, rounds: 1, pods: 20 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '--host-engine') a.hostEngine = true;
    else if (v === '--rounds') a.rounds = Number(argv[++i]);
    else if (v === '--pods') a.pods = Number(argv[++i]);
    else throw new Error(`unknown argument ${v} (usage: npx tsx bench/pods-20.ts [--host-engine] [--rounds N] [--pods N])`);
  }
  if (!Number.isInteger(a.rounds) || a.rounds < 1) throw new Error('--rounds must be a positive integer');
  if (!Number.isInteger(a.pods) || a.pods < 1) throw new Error('--pods must be a positive integer');
  return a;
}

function say(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

/** Where the benchmark runs: an engine, and the simulated node behind it if any. */
export interface Target {
  engine: Engine;
  node?: SimNode;
  /** Address masters listen on, reachable from the agent. */
  listenHost: string;
  /** --advertise-addr for swarm init. */
  swarmAddress: string;
  label: string;
}

export async function setUpTarget(a: Pick<Args, 'hostEngine'>, runDir: string): Promise<Target> {
  await buildTestImages(hostEngine);
  if (a.hostEngine) return { engine: hostEngine, listenHost: '127.0.0.1', swarmAddress: '127.0.0.1', label: 'host engine' };
  await fs.mkdir(runDir, { recursive: true });
  await createLan();
  const node = await createNode(BENCH_NODE_INDEX, await saveTestImages(hostEngine)).catch(async (e: Error) => {
    await removeLan();
    throw e;
  });
  return { engine: nodeEngine(node), node, listenHost: BRIDGE_ADDRESS, swarmAddress: node.address, label: `simulated node ${node.name}` };
}

export async function tearDownTarget(t: Target): Promise<void> {
  if (!t.node) return;
  await removeNode(t.node);
  await removeLan();
}

/** Names of app containers running on the engine with a label, for polling. */
async function runningWithLabel(engine: Engine, label: string): Promise<number> {
  const r = await docker(engine, ['ps', '-q', '--filter', `label=${label}`, '--filter', 'status=running'], { timeoutMs: 10_000 });
  return r.stdout.split('\n').filter(Boolean).length;
}

function podManifests(n: number): string {
  return Array.from(
    { length: n },
    (_, i) => `apiVersion: v1
kind: Pod
metadata:
  name: bench-${i}
  labels:
    app: bench
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${TEST_IMAGES.busybox}
      imagePullPolicy: IfNotPresent
      command: ["sleep", "3600"]
      resources:
        requests:
          cpu: 10m
          memory: 8Mi
`,
  ).join('---\n');
}

export interface OrchardRig {
  etcd: EtcdCluster;
  master: ManagedProcess;
  agent: ManagedProcess;
  cli: Cli;
}

export async function startOrchard(t: Target, runDir: string): Promise<OrchardRig> {
  const etcd = await startEtcd(runDir, 1);
  const port = await freePort();
  const master = startMaster({
    name: 'bench',
    etcd: endpoints(etcd),
    listen: `${t.listenHost}:${port}`,
    dataDir: path.join(runDir, 'master'),
    logFile: path.join(runDir, 'master.log'),
  });
  await waitFor('the master to listen', async () => {
    if (master.exit) throw new Error(`master exited:\n${logTail(master)}`);
    return canConnect(t.listenHost, port);
  });
  // The CLI calls as the admin; the agent joins with a token, as an installed node does.
  process.env.ORCHARD_CONFIG = await waitAdminConfig(path.join(runDir, 'master'), master);
  const join = await createJoinCommand(cliFor(`${t.listenHost}:${port}`));
  const nodeName = t.node?.name ?? `bench-${os.hostname()}`;
  const agent = startAgent({
    node: t.node,
    nodeName,
    server: `${t.listenHost}:${port}`,
    join,
    dataDir: path.join(runDir, 'agent'),
    logFile: path.join(runDir, 'agent.log'),
  });
  const cli = cliFor(`${t.listenHost}:${port}`);
  await waitFor(`node ${nodeName} to be Ready`, async () => {
    if (agent.exit) throw new Error(`agent exited:\n${logTail(agent)}`);
    const r = await cli(['get', 'nodes', '-o', 'json']);
    if (r.code !== 0) return false;
    const v = JSON.parse(r.stdout) as { items?: any[] };
    return (v.items ?? [v]).some((n: any) => n.metadata?.name === nodeName && (n.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'));
  }, { timeoutMs: 30_000, intervalMs: 200 });
  return { etcd, master, agent, cli };
}

export async function stopOrchard(rig: OrchardRig): Promise<void> {
  await stopProcess(rig.agent);
  await stopProcess(rig.master);
  await stopEtcd(rig.etcd);
}

/**
 * Where a round's time went, from Docker's own timestamps (Created, State.StartedAt) of
 * every pod's infra and app container, relative to the apply: when the first sandbox was
 * created, how long sandbox and app containers took from create to running, the gap the
 * agent leaves between a running sandbox and its app's create, and when the last app ran.
 */
async function printBreakdown(engine: Engine, wall0: number): Promise<void> {
  const ids = (await docker(engine, ['ps', '-aq', '--filter', 'label=io.orchard.pod.uid'])).stdout.split('\n').filter(Boolean);
  if (ids.length === 0) return;
  const r = await docker(engine, ['inspect', ...ids], { timeoutMs: 30_000 });
  const list = JSON.parse(r.stdout) as Array<{ Created: string; State: { StartedAt: string }; Config: { Labels: Record<string, string> } }>;
  const pods = new Map<string, { infra?: [number, number]; app?: [number, number] }>();
  for (const c of list) {
    const uid = c.Config.Labels['io.orchard.pod.uid'] ?? '';
    const times: [number, number] = [Date.parse(c.Created) - wall0, Date.parse(c.State.StartedAt) - wall0];
    const p = pods.get(uid) ?? {};
    if (c.Config.Labels['io.orchard.container.name'] === 'POD') p.infra = times;
    else p.app = times;
    pods.set(uid, p);
  }
  const all = [...pods.values()].filter((p) => p.infra && p.app) as Array<{ infra: [number, number]; app: [number, number] }>;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const ms = (x: number) => `${Math.round(x)} ms`;
  say(
    `Docker's times after the apply (${all.length} pods): first sandbox created ${ms(Math.min(...all.map((p) => p.infra[0])))}, ` +
      `last app running ${ms(Math.max(...all.map((p) => p.app[1])))}; per pod (median): sandbox create→running ${ms(median(all.map((p) => p.infra[1] - p.infra[0])))}, ` +
      `running sandbox→app created ${ms(median(all.map((p) => p.app[0] - p.infra[1])))}, app create→running ${ms(median(all.map((p) => p.app[1] - p.app[0])))}`,
  );
}

/** One Orchard round: apply N pods, time until N app containers run; then delete them. */
async function orchardRound(t: Target, rig: OrchardRig, n: number): Promise<{ containersMs: number; apiRunningMs: number }> {
  const label = 'io.orchard.container.name=main';
  const wall0 = Date.now();
  const t0 = performance.now();
  const applied = await rig.cli(['apply', '-f', '-'], { input: podManifests(n) });
  if (applied.code !== 0) throw new Error(describeResult(['apply', '-f', '-'], applied));
  let containersMs = 0;
  let apiRunningMs = 0;
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  while (!containersMs || !apiRunningMs) {
    if (Date.now() > deadline) throw new Error(`Orchard: ${n} pods not running after ${RUN_TIMEOUT_MS} ms`);
    if (!containersMs && (await runningWithLabel(t.engine, label)) >= n) containersMs = performance.now() - t0;
    if (!apiRunningMs) {
      const r = await rig.cli(['get', 'pods', '-o', 'json']);
      if (r.code === 0) {
        const v = JSON.parse(r.stdout) as { items?: any[] };
        const running = (v.items ?? []).filter((p: any) => String(p.metadata?.name).startsWith('bench-') && p.status?.phase === 'Running').length;
        if (running >= n) apiRunningMs = performance.now() - t0;
      }
    }
    await sleep(POLL_MS);
  }
  await printBreakdown(t.engine, wall0).catch((e: Error) => say(`no breakdown: ${e.message}`));
  const delArgs = ['delete', 'pods', '-l', 'app=bench', '--wait=false'];
  const d = await rig.cli(delArgs);
  if (d.code !== 0) throw new Error(describeResult(delArgs, d));
  await waitFor('the bench pods\' containers to be removed', async () => {
    const r = await docker(t.engine, ['ps', '-aq', '--filter', 'label=io.orchard.pod.uid']);
    return r.stdout.trim() === '';
  }, { timeoutMs: RUN_TIMEOUT_MS, intervalMs: 200 });
  return { containersMs, apiRunningMs };
}

/** One Swarm round: a service with N replicas, time until N tasks are Running; then removed. */
async function swarmRound(t: Target, n: number): Promise<number> {
  const service = `orchard-bench-${process.pid}`;
  const t0 = performance.now();
  await dockerOk(t.engine, ['service', 'create', '--detach', '--quiet', '--name', service, '--replicas', String(n), TEST_IMAGES.busybox, 'sleep', '3600']);
  let ms = 0;
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  try {
    while (!ms) {
      if (Date.now() > deadline) throw new Error(`Swarm: ${n} tasks not Running after ${RUN_TIMEOUT_MS} ms`);
      const r = await docker(t.engine, ['service', 'ps', service, '--filter', 'desired-state=running', '--format', '{{.CurrentState}}']);
      const running = r.stdout.split('\n').filter((l) => l.startsWith('Running')).length;
      if (running >= n) ms = performance.now() - t0;
      else await sleep(POLL_MS);
    }
  } finally {
    await docker(t.engine, ['service', 'rm', service]);
    await waitFor('the swarm service\'s containers to be removed', async () => {
      const r = await docker(t.engine, ['ps', '-aq', '--filter', `label=com.docker.swarm.service.name=${service}`]);
      return r.stdout.trim() === '';
    }, { timeoutMs: RUN_TIMEOUT_MS, intervalMs: 200 });
  }
  return ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const SECTION = "## pods-20: time until N pods' containers run on one node (Orchard vs Docker Swarm, same engine)";
const HEADER =
  '| date (UTC) | machine | engine | pods | rounds | Orchard containers running | Orchard pods Running (API) | Swarm tasks Running | Orchard / Swarm |\n' +
  '|---|---|---|---|---|---|---|---|---|\n';

async function appendResult(line: string): Promise<string> {
  const file = path.join(__dirname, 'RESULTS.md');
  try {
    await fs.access(file);
  } catch {
    await fs.writeFile(
      file,
      '# Benchmark results\n\nAppended by the benchmarks in this folder; one line per run.\n',
    );
  }
  // The line goes at the end of this section's table: other benchmarks' sections follow it.
  const text = await fs.readFile(file, 'utf8');
  const start = text.indexOf(SECTION);
  if (start < 0) {
    await fs.appendFile(file, `\n${SECTION}\n\n${HEADER}${line}\n`);
    return file;
  }
  const next = text.indexOf('\n## ', start + SECTION.length);
  const end = next < 0 ? text.length : next;
  const section = text.slice(start, end).replace(/\n*$/, '\n');
  await fs.writeFile(file, `${text.slice(0, start)}${section}${line}\n${next < 0 ? '' : '\n'}${text.slice(end).replace(/^\n*/, '')}`);
  return file;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('run as root (namespaces, dockerd, swarm)');
  // Even on the host engine: an e2e run starting meanwhile would stop this run's processes
  // as leftovers (they live under the bed's folder).
  await lockBed();
  try {
    await bench(a);
  } finally {
    await unlockBed();
  }
}

async function bench(a: Args): Promise<void> {
  const runDir = path.join(RUNS_DIR, `bench-pods-${Date.now()}`);
  await fs.mkdir(runDir, { recursive: true });
  say(`run folder ${runDir} (under ${BED_ROOT})`);
  const t = await setUpTarget(a, runDir);
  let createdSwarm = false;
  const orchardMs: number[] = [];
  const apiMs: number[] = [];
  const swarmMs: number[] = [];
  try {
    say(`engine: ${t.label}`);
    const rig = await startOrchard(t, runDir);
    try {
      for (let i = 0; i < a.rounds; i++) {
        const r = await orchardRound(t, rig, a.pods);
        orchardMs.push(r.containersMs);
        apiMs.push(r.apiRunningMs);
        say(`Orchard round ${i + 1}: ${a.pods} containers running after ${r.containersMs.toFixed(0)} ms (all pods Running in the API after ${r.apiRunningMs.toFixed(0)} ms)`);
      }
    } finally {
      await stopOrchard(rig);
    }
    const state = (await dockerOk(t.engine, ['info', '--format', '{{.Swarm.LocalNodeState}}'])).trim();
    if (state !== 'active') {
      await dockerOk(t.engine, ['swarm', 'init', '--advertise-addr', t.swarmAddress]);
      createdSwarm = true;
    }
    for (let i = 0; i < a.rounds; i++) {
      const ms = await swarmRound(t, a.pods);
      swarmMs.push(ms);
      say(`Swarm round ${i + 1}: ${a.pods} tasks Running after ${ms.toFixed(0)} ms`);
    }
  } finally {
    if (createdSwarm) await docker(t.engine, ['swarm', 'leave', '--force']);
    await killAll();
    await tearDownTarget(t);
  }
  const o = median(orchardMs);
  const api = median(apiMs);
  const s = median(swarmMs);
  const ratio = o / s;
  const machine = `${execSync('uname -m').toString().trim()}, ${os.cpus().length} cores, ${os.hostname()}, load ${os.loadavg()[0]!.toFixed(1)}`;
  console.log(`pods-20 (${a.pods} pods, ${a.rounds} round(s), median, ${t.label})`);
  console.log(`  Orchard: ${(o / 1000).toFixed(2)} s until all containers run (${(api / 1000).toFixed(2)} s until the API shows all Running)`);
  console.log(`  Swarm:   ${(s / 1000).toFixed(2)} s until all tasks Running`);
  console.log(`  ratio Orchard/Swarm: ${ratio.toFixed(2)} (below 1: Orchard is faster; the aim is 0.33 or less)`);
  const line = `| ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} | ${machine} | ${t.label} | ${a.pods} | ${a.rounds} | ${(o / 1000).toFixed(2)} s | ${(api / 1000).toFixed(2)} s | ${(s / 1000).toFixed(2)} s | ${ratio.toFixed(2)} |`;
  const file = await appendResult(line);
  console.log(`  appended to ${path.relative(process.cwd(), file) || file}`);
}

// Also a library: bench/restart.ts reuses the simulated node and the Orchard rig.
if (require.main === module) {
  main().catch((e: Error) => {
    process.stderr.write(`[bench] failed: ${e.message}\n`);
    process.exitCode = 1;
  });
}
