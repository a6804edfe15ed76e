/**
 * A node powered off (its link cut and its agent killed) → time until its pods run on the
 * other nodes. Orchard next to Docker Swarm on the same three simulated nodes, in the same
 * run, and the ratio. Appends the figures to bench/RESULTS.md.
 *
 *   npx tsx bench/node-down.ts [--pods N] [--rounds N] [--no-swarm]
 *
 * Each simulated node is a network namespace with its own dockerd (test/bed). Orchard: a
 * test-bed cluster (etcd, one master on the host with default flags: 4 s grace period, 3 s
 * eviction timeout; an agent per node, mutual TLS). Swarm: `swarm init` on the first node's dockerd, the two others join as workers;
 * a service with N replicas. In both, the node cut off is a worker holding replicas, and the
 * clock runs from the cut until N replicas run again, none of them on the cut node.
 * Orchard's containers figure is Docker's start time of the last replacement container
 * (polling adds up to a few hundred ms on a busy machine); each round also prints where the
 * time went, from the master's log: the lease expiring (Ready=Unknown), the NoExecute
 * taint, the evictions and the bindings.
 * Needs root and a build (bash test/bed/prepare.sh).
 */
import { execSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeResult, type Cli } from '../test/bed/cli';
import { docker, dockerOk, hostEngine } from '../test/bed/docker';
import { startCluster } from '../test/bed/cluster';
import { buildTestImages, saveTestImages, TEST_IMAGES } from '../test/bed/images';
import { createLan, removeLan } from '../test/bed/lan';
import { BED_ROOT, BRIDGE_ADDRESS, RUNS_DIR } from '../test/bed/layout';
import { lockBed, unlockBed } from '../test/bed/lock';
import { createNode, cutLink, nodeEngine, removeNode, restoreLink, type SimNode } from '../test/bed/netns-node';
import { killAll } from '../test/bed/processes';
import { sleep, waitFor } from '../test/bed/wait';

/** The simulated nodes the benchmark uses: apart from the e2e run's pi1..pi3. */
const NODE_INDEXES = [6, 7, 8];
const POLL_MS = 50;
const RUN_TIMEOUT_MS = 180_000;

interface Args {
  pods: number;
  rounds: number;
  swarm: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { pods: 6, rounds: 1, swarm: true };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '--pods') a.pods = Number(argv[++i]);
    else if (v === '--rounds') a.rounds = Number(argv[++i]);
    else if (v === '--no-swarm') a.swarm = false;
    else throw new Error(`unknown argument ${v} (usage: npx tsx bench/node-down.ts [--pods N] [--rounds N] [--no-swarm])`);
  }
  if (!Number.isInteger(a.pods) || a.pods < 3) throw new Error('--pods must be an integer of at least 3 (one per node)');
  if (!Number.isInteger(a.rounds) || a.rounds < 1) throw new Error('--rounds must be a positive integer');
  return a;
}

function say(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

function podManifests(n: number): string {
  return Array.from(
    { length: n },
    (_, i) => `apiVersion: v1
kind: Pod
metadata:
  name: down-${i}
  labels:
    app: down
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

/** Running containers per node with a label filter. */
async function runningOn(node: SimNode, label: string): Promise<string[]> {
  const r = await docker(nodeEngine(node), ['ps', '--filter', `label=${label}`, '--filter', 'status=running', '--format', '{{.Label "io.orchard.pod.name"}}'], { timeoutMs: 10_000 });
  return r.stdout.split('\n').filter(Boolean);
}

/** Docker's times (epoch ms) of each pod's containers on a node: its infra container created, its main container started. */
async function containerTimes(node: SimNode): Promise<Map<string, { infraCreated?: number; mainStarted?: number }>> {
  const engine = nodeEngine(node);
  const ids = (await docker(engine, ['ps', '-q', '--filter', 'label=io.orchard.pod.name', '--filter', 'status=running'], { timeoutMs: 10_000 })).stdout.split('\n').filter(Boolean);
  const out = new Map<string, { infraCreated?: number; mainStarted?: number }>();
  if (ids.length === 0) return out;
  const format = '{{index .Config.Labels "io.orchard.pod.name"}} {{index .Config.Labels "io.orchard.container.name"}} {{.Created}} {{.State.StartedAt}}';
  const r = await docker(engine, ['inspect', '--format', format, ...ids], { timeoutMs: 10_000 });
  // RFC 3339 with nanoseconds: keep milliseconds for Date.parse.
  const ms = (t: string | undefined) => Date.parse(String(t).replace(/(\.\d{3})\d*/, '$1'));
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const [pod, container, created, started] = line.split(' ');
    if (!pod) continue;
    const entry = out.get(pod) ?? {};
    if (container === 'POD' && !Number.isNaN(ms(created))) entry.infraCreated = ms(created);
    if (container === 'main' && !Number.isNaN(ms(started))) entry.mainStarted = ms(started);
    out.set(pod, entry);
  }
  return out;
}

async function podsByNode(cli: Cli): Promise<Map<string, { node: string; phase: string; uid: string }>> {
  const r = await cli(['get', 'pods', '-o', 'json']);
  if (r.code !== 0) throw new Error(describeResult(['get', 'pods', '-o', 'json'], r));
  const items = (JSON.parse(r.stdout).items ?? []) as any[];
  return new Map(items.map((p) => [String(p.metadata.name), { node: String(p.spec?.nodeName ?? ''), phase: String(p.status?.phase ?? ''), uid: String(p.metadata.uid) }]));
}

/**
 * One Orchard round on a fresh cluster of the test bed (etcd, a master with default flags,
 * an agent per node joined with a token, mutual TLS as installed). @returns ms until the cut
 * node's pods' containers run elsewhere, and until the API shows them Running.
 */
async function orchardRound(nodes: SimNode[], n: number): Promise<{ containersMs: number; apiMs: number }> {
  const cluster = await startCluster({ nodes, runsDir: RUNS_DIR, bridgeAddress: BRIDGE_ADDRESS }, { name: 'bench-node-down' });
  let cut: SimNode | undefined;
  try {
    await cluster.waitNodesReady();
    const cli = cluster.cli;
    const applied = await cli(['apply', '-f', '-'], { input: podManifests(n) });
    if (applied.code !== 0) throw new Error(describeResult(['apply', '-f', '-'], applied));
    await waitFor(`${n} pods Running`, async () => [...(await podsByNode(cli)).values()].filter((p) => p.phase === 'Running').length === n, { timeoutMs: 60_000, intervalMs: 200 });
    const before = await podsByNode(cli);
    const victim = nodes.slice(1).sort((a, b) => count(before, b.name) - count(before, a.name))[0]!;
    const moved = [...before.entries()].filter(([, p]) => p.node === victim.name).map(([name]) => name);
    if (moved.length === 0) throw new Error('no pod on a node other than the first; nothing to measure');
    const others = nodes.filter((x) => x !== victim);
    say(`Orchard: cutting ${victim.name} off (${moved.length} pod(s): ${moved.join(', ')})`);

    const t0 = performance.now();
    const t0Wall = Date.now();
    cut = victim;
    await cutLink(victim);
    await cluster.stopAgent(victim, 'SIGKILL');
    // Two independent pollers, so that a slow CLI call does not delay the container check;
    // the containers' figure is then taken from Docker's own start times, not from when
    // the poller happened to look.
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    const containersSeen = (async () => {
      for (;;) {
        if (Date.now() > deadline) throw new Error(`Orchard: containers of ${victim.name}'s pods not running elsewhere after ${RUN_TIMEOUT_MS} ms`);
        const elsewhere = new Set((await Promise.all(others.map((o) => runningOn(o, 'io.orchard.container.name=main')))).flat());
        if (moved.every((m) => elsewhere.has(m))) return performance.now() - t0;
        await sleep(POLL_MS);
      }
    })();
    const apiSeen = (async () => {
      for (;;) {
        if (Date.now() > deadline) throw new Error(`Orchard: pods of ${victim.name} not Running elsewhere after ${RUN_TIMEOUT_MS} ms`);
        const now = await podsByNode(cli);
        if (moved.every((m) => now.get(m)?.phase === 'Running' && now.get(m)?.node !== victim.name && now.get(m)?.uid !== before.get(m)?.uid)) return performance.now() - t0;
        await sleep(POLL_MS);
      }
    })();
    const [seenMs, apiMs] = await Promise.all([containersSeen, apiSeen]);
    const times = await Promise.all(others.map((o) => containerTimes(o)));
    const timesOf = (m: string) => times.map((byPod) => byPod.get(m)).find((t) => t?.mainStarted !== undefined);
    const startTimes = moved.map((m) => timesOf(m)?.mainStarted);
    const infraTimes = moved.map((m) => timesOf(m)?.infraCreated);
    // Docker's start time of the last replacement; the poller's time if Docker did not say.
    const containersMs = startTimes.every((t) => t !== undefined) ? Math.max(...(startTimes as number[])) - t0Wall : seenMs;
    const firstInfra = infraTimes.every((t) => t !== undefined) ? `${((Math.min(...(infraTimes as number[])) - t0Wall) / 1000).toFixed(2)} s` : '?';
    const phases = await timeline(cluster.runDir, victim.name, moved, t0Wall);
    say(`Orchard timeline after the cut: ${phases.text}; first replacement infra container created ${firstInfra}, last replacement container started ${(containersMs / 1000).toFixed(2)} s (seen by polling ${(seenMs / 1000).toFixed(2)} s); API Running ${(apiMs / 1000).toFixed(2)} s`);
    return { containersMs, apiMs };
  } finally {
    if (cut) {
      await restoreLink(cut);
      // Back on, so that its stale copies are removed through the product like any node's.
      cluster.startAgent(cut);
      await cluster.waitNodesReady().catch((e: Error) => say(`node ${cut!.name} did not come back: ${e.message}`));
    }
    await cluster.teardown();
  }
}

/**
 * Where the time of one Orchard round went, from the master's log (ms after the cut):
 * the node's lease expiring (Ready=Unknown), its NoExecute taint, the evictions and the
 * bindings of the replacements.
 */
async function timeline(runDir: string, victim: string, moved: string[], t0Wall: number): Promise<{ text: string }> {
  const lines: Array<Record<string, unknown>> = [];
  for (const f of await fs.readdir(runDir)) {
    if (!/^master-.*\.log$/.test(f)) continue;
    for (const l of (await fs.readFile(path.join(runDir, f), 'utf8')).split('\n')) {
      try {
        lines.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        // Not a log record.
      }
    }
  }
  const after = (pred: (r: Record<string, unknown>) => boolean, last = false): string => {
    const times = lines.filter((r) => typeof r.time === 'number' && r.time >= t0Wall && pred(r)).map((r) => (r.time as number) - t0Wall);
    if (times.length === 0) return '?';
    return `${((last ? Math.max(...times) : Math.min(...times)) / 1000).toFixed(2)} s`;
  };
  const names = new Set(moved.map((m) => `default/${m}`));
  const text = [
    `Ready=Unknown ${after((r) => r.node === victim && String(r.msg).includes('Ready=Unknown'))}`,
    `tainted ${after((r) => r.node === victim && String(r.msg).includes('lifecycle taints updated'))}`,
    `evicted ${after((r) => r.node === victim && String(r.msg).startsWith('pod evicted') && names.has(String(r.pod)), true)}`,
    // A burst is logged as one "pods bound" record.
    `bound ${after((r) => (String(r.msg) === 'pod bound' && names.has(String(r.pod))) || String(r.msg) === 'pods bound', true)}`,
  ].join(', ');
  return { text };
}

function count(pods: Map<string, { node: string }>, node: string): number {
  return [...pods.values()].filter((p) => p.node === node).length;
}

/** One Swarm round: manager on nodes[0], the others join; a service with N replicas; a worker with tasks is cut off. */
async function swarmRound(nodes: SimNode[], n: number): Promise<{ downMs: number; runningMs: number }> {
  const [manager, ...workers] = nodes as [SimNode, ...SimNode[]];
  const mgr = nodeEngine(manager);
  const service = `orchard-bench-down-${process.pid}`;
  let cut: SimNode | undefined;
  try {
    await dockerOk(mgr, ['swarm', 'init', '--advertise-addr', manager.address]);
    const token = (await dockerOk(mgr, ['swarm', 'join-token', '-q', 'worker'])).trim();
    for (const w of workers) await dockerOk(nodeEngine(w), ['swarm', 'join', '--advertise-addr', w.address, '--token', token, `${manager.address}:2377`]);
    await waitFor('the swarm workers to be Ready', async () => {
      const r = await docker(mgr, ['node', 'ls', '--format', '{{.Status}}']);
      return r.stdout.split('\n').filter((l) => l.trim() === 'Ready').length === nodes.length;
    }, { timeoutMs: 60_000, intervalMs: 200 });
    await dockerOk(mgr, ['service', 'create', '--detach', '--quiet', '--name', service, '--replicas', String(n), '--stop-grace-period', '1s', TEST_IMAGES.busybox, 'sleep', '3600']);
    const tasks = async () => {
      const r = await docker(mgr, ['service', 'ps', service, '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}']);
      return r.stdout.split('\n').filter(Boolean).map((l) => ({ node: l.split(' ')[0]!, running: l.split(' ')[1] === 'Running' }));
    };
    await waitFor(`${n} swarm tasks Running`, async () => (await tasks()).filter((t) => t.running).length === n, { timeoutMs: 60_000, intervalMs: 200 });
    const hostnames = new Map<string, SimNode>();
    for (const w of workers) hostnames.set((await dockerOk(nodeEngine(w), ['info', '--format', '{{.Name}}'])).trim(), w);
    const before = await tasks();
    const victimName = [...hostnames.keys()].sort((a, b) => before.filter((t) => t.node === b).length - before.filter((t) => t.node === a).length)[0]!;
    const victim = hostnames.get(victimName)!;
    say(`Swarm: cutting ${victim.name} off (${before.filter((t) => t.node === victimName).length} task(s))`);
    const t0 = performance.now();
    cut = victim;
    await cutLink(victim);
    let downMs = 0;
    let runningMs = 0;
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    while (!runningMs) {
      if (Date.now() > deadline) throw new Error(`Swarm: replicas not running again after ${RUN_TIMEOUT_MS} ms`);
      if (!downMs) {
        const r = await docker(mgr, ['node', 'inspect', victimName, '--format', '{{.Status.State}}']);
        if (r.stdout.trim() === 'down') downMs = performance.now() - t0;
      }
      const now = await tasks();
      if (now.filter((t) => t.running && t.node !== victimName).length >= n) runningMs = performance.now() - t0;
      else await sleep(POLL_MS);
    }
    return { downMs, runningMs };
  } finally {
    if (cut) await restoreLink(cut);
    await docker(mgr, ['service', 'rm', service]);
    for (const node of nodes) await docker(nodeEngine(node), ['swarm', 'leave', '--force'], { timeoutMs: 30_000 });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const HEADER =
  '\n## node-down: a node powered off → its pods running on the other nodes (Orchard vs Docker Swarm, same 3 simulated nodes)\n\n' +
  '| date (UTC) | machine | pods | rounds | Orchard containers running elsewhere | Orchard pods Running (API) | Swarm node Down | Swarm replicas running again | Orchard / Swarm |\n' +
  '|---|---|---|---|---|---|---|---|---|\n';

async function appendResult(line: string): Promise<string> {
  const file = path.join(__dirname, 'RESULTS.md');
  let text = '';
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    text = '# Benchmark results\n\nAppended by the benchmarks in this folder; one line per run.\n';
    await fs.writeFile(file, text);
  }
  // Rows go under this benchmark's own table, which starts the first time it runs.
  const heading = HEADER.trim().split('\n')[0]!;
  if (!text.includes(heading)) {
    await fs.appendFile(file, `${HEADER}${line}\n`);
    return file;
  }
  // The row goes at the end of the section's first table (notes may follow the table).
  const start = text.indexOf(heading);
  const tableStart = text.indexOf('\n|', start);
  let at = tableStart + 1;
  while (text.startsWith('|', at)) {
    const eol = text.indexOf('\n', at);
    at = eol < 0 ? text.length : eol + 1;
  }
  const before = text.slice(0, at);
  await fs.writeFile(file, (before.endsWith('\n') ? before : `${before}\n`) + `${line}\n` + text.slice(at));
  return file;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('run as root (namespaces, dockerd, swarm)');
  await lockBed();
  try {
    await bench(a);
  } finally {
    await unlockBed();
  }
}

async function bench(a: Args): Promise<void> {
  const runDir = path.join(RUNS_DIR, `bench-node-down-${Date.now()}`);
  await fs.mkdir(runDir, { recursive: true });
  say(`run folder ${runDir} (under ${BED_ROOT})`);
  await buildTestImages(hostEngine);
  const tarball = await saveTestImages(hostEngine);
  await createLan();
  const nodes: SimNode[] = [];
  const orchard: Array<{ containersMs: number; apiMs: number }> = [];
  const swarm: Array<{ downMs: number; runningMs: number }> = [];
  try {
    for (const i of NODE_INDEXES) nodes.push(await createNode(i, tarball));
    for (let r = 0; r < a.rounds; r++) {
      const o = await orchardRound(nodes, a.pods);
      orchard.push(o);
      say(`Orchard round ${r + 1}: containers running elsewhere after ${o.containersMs.toFixed(0)} ms, API Running after ${o.apiMs.toFixed(0)} ms`);
    }
    if (a.swarm) {
      for (let r = 0; r < a.rounds; r++) {
        const s = await swarmRound(nodes, a.pods);
        swarm.push(s);
        say(`Swarm round ${r + 1}: node Down after ${s.downMs.toFixed(0)} ms, all replicas running after ${s.runningMs.toFixed(0)} ms`);
      }
    }
  } finally {
    await killAll();
    for (const node of nodes) await removeNode(node).catch((e: Error) => say(`removing ${node.name}: ${e.message}`));
    await removeLan();
  }
  const oc = median(orchard.map((x) => x.containersMs));
  const oa = median(orchard.map((x) => x.apiMs));
  const sd = swarm.length ? median(swarm.map((x) => x.downMs)) : NaN;
  const sr = swarm.length ? median(swarm.map((x) => x.runningMs)) : NaN;
  const s = (ms: number) => (Number.isNaN(ms) ? 'not measured' : `${(ms / 1000).toFixed(2)} s`);
  const ratio = swarm.length ? (oc / sr).toFixed(2) : 'n/a';
  const machine = `${execSync('uname -m').toString().trim()}, ${os.cpus().length} cores, ${os.hostname()}`;
  console.log(`node-down (${a.pods} pods on 3 simulated nodes, ${a.rounds} round(s), median)`);
  console.log(`  Orchard: ${s(oc)} until the cut node's pods' containers run elsewhere (${s(oa)} until the API shows them Running); aim: within 8 s`);
  console.log(`  Swarm:   node Down after ${s(sd)}, all replicas running again after ${s(sr)}`);
  console.log(`  ratio Orchard/Swarm: ${ratio}`);
  const line = `| ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} | ${machine} | ${a.pods} | ${a.rounds} | ${s(oc)} | ${s(oa)} | ${s(sd)} | ${s(sr)} | ${ratio} |`;
  const file = await appendResult(line);
  console.log(`  appended to ${path.relative(process.cwd(), file) || file}`);
}

main().catch((e: Error) => {
  process.stderr.write(`[bench] failed: ${e.message}\n`);
  process.exitCode = 1;
});
