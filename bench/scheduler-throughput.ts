/**
 * Scheduler throughput: pods bound per second with 1,000 simulated nodes, into a real etcd.
 *
 *   npx tsx bench/scheduler-throughput.ts [--nodes 1000] [--pods 10000] [--batch 100] [--ack] [--cpu-prof] [--preload]
 *
 * One process holds every node stream (bench/sim-nodes.ts) to one real orchard-master on a
 * real single-member etcd; the pods are created through the cluster API (Apply, --batch per
 * call, a few calls in flight) and the bench watches etcd for their bindings. Appends the
 * figures to bench/RESULTS.md. --cpu-prof writes a V8 CPU profile of the master into the run
 * folder. --preload measures the scheduler alone: the pods are written into etcd while the
 * bench holds the leadership, then it hands the leadership to the master. Needs a build
 * (npm run build); not root.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { ApiObject, parseManifests, withDefaults } from '@orchard/api';
import { Etcd3, type Campaign } from 'etcd3';
import { stopEtcd } from '../test/bed/etcd';
import { ELECTION_NAME } from '../packages/master/src/election/leader-election';
import { killAll, stopProcess, type ManagedProcess } from '../test/bed/processes';
import { TEST_IMAGES } from '../test/bed/images';
import { Api, appendResult, machine, runDir, say, startEtcd, startLoopbackMaster, utcNow } from './bench-kit';
import { benchCredentials, writeServerSecret } from './credentials';
import { SimNodes } from './sim-nodes';

interface Args {
  nodes: number;
  pods: number;
  batch: number;
  inflight: number;
  ack: boolean;
  cpuProf: boolean;
  preload: boolean;
}

/** How long the CPU of the connected nodes alone is measured before the pods come. */
const IDLE_WINDOW_MS = 5000;

function parseArgs(argv: string[]): Args {
  const a: Args = { nodes: 1000, pods: 10_000, batch: 100, inflight: 4, ack: false, cpuProf: false, preload: false };
  const num = (v: string | undefined, flag: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '--nodes') a.nodes = num(argv[++i], v);
    else if (v === '--pods') a.pods = num(argv[++i], v);
    else if (v === '--batch') a.batch = num(argv[++i], v);
    else if (v === '--inflight') a.inflight = num(argv[++i], v);
    else if (v === '--ack') a.ack = true;
    else if (v === '--cpu-prof') a.cpuProf = true;
    else if (v === '--preload') a.preload = true;
    else throw new Error(`unknown argument ${v} (usage: npx tsx bench/scheduler-throughput.ts [--nodes N] [--pods N] [--batch N] [--inflight N] [--ack] [--cpu-prof] [--preload])`);
  }
  // etcd allows 128 operations per transaction, and one Apply is one transaction.
  if (a.batch > 120) throw new Error('--batch must be at most 120 (one Apply is one etcd transaction)');
  return a;
}

function podBatch(from: number, n: number): ApiObject[] {
  const docs: string[] = [];
  for (let i = from; i < from + n; i++) {
    docs.push(`apiVersion: v1
kind: Pod
metadata:
  name: load-${String(i).padStart(5, '0')}
  labels:
    app: load
spec:
  containers:
    - name: main
      image: ${TEST_IMAGES.busybox}
      imagePullPolicy: IfNotPresent
      command: ["sleep", "3600"]
      resources:
        requests:
          cpu: 10m
          memory: 16Mi
`);
  }
  return parseManifests(docs.join('---\n'), 'load');
}

/** Watches etcd for pods that get a nodeName; records when each was first seen bound. */
async function watchBindings(etcd: Etcd3, onBound: (name: string, at: number) => void) {
  const seen = new Set<string>();
  const watcher = await etcd.watch().prefix('/orchard/registry/pods/').create();
  watcher.on('put', (kv) => {
    const key = kv.key.toString();
    if (seen.has(key)) return;
    const o = ApiObject.decode(kv.value);
    if (o.resource?.$case === 'pod' && o.resource.pod.spec?.nodeName) {
      seen.add(key);
      onBound(key, performance.now());
    }
  });
  return watcher;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const dir = await runDir('scheduler');
  say(`run folder ${dir}`);
  const etcd = await startEtcd(dir, 1);
  let sim: SimNodes | undefined;
  let masterProc: ManagedProcess | undefined;
  let etcdClient: Etcd3 | undefined;
  let api: Api | undefined;
  try {
    const secret = writeServerSecret(dir);
    const masterArgs = ['--log-level', 'warn', '--server-secret-file', secret];
    // A node flag: the profile is written when the master exits (SIGTERM below).
    const nodeArgs = a.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
    etcdClient = new Etcd3({ hosts: etcd.members.map((m) => m.clientUrl) });
    // --preload: the bench holds the leadership while the nodes connect and the pods are
    // written, so the master starts as a follower and takes over with every pod pending.
    let holder: Campaign | undefined;
    if (a.preload) {
      // A long TTL: this process is busy with 1,000 node streams, and a missed keep-alive
      // would hand the master the leadership before the pods are written.
      holder = etcdClient.election(ELECTION_NAME, 15).campaign('bench-holder');
      await new Promise<void>((resolve, reject) => {
        holder!.once('elected', () => resolve());
        holder!.once('error', reject);
      });
    }
    const master = await startLoopbackMaster(dir, 'bench', etcd, { args: masterArgs, nodeArgs });
    const creds = await benchCredentials(path.join(dir, 'master-bench'), etcd.members.map((m) => m.clientUrl), secret);
    say(creds.tls ? 'mutual TLS: node certificates issued from the cluster CA' : 'plaintext (the master serves no TLS)');
    masterProc = master.proc;
    api = new Api(master.address, creds.api);
    // A node certificate is accepted only while its Node exists (joining creates it).
    if (creds.tls) await createNodes(api, a.nodes);

    const t0 = performance.now();
    sim = new SimNodes({ servers: [master.address], credentials: creds, count: a.nodes, ack: a.ack, images: [TEST_IMAGES.busybox], cpu: '4', memory: '8Gi', maxPods: 110 });
    await sim.start(120_000);
    say(`${a.nodes} simulated nodes connected in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // The scheduler sees nodes through its cache: wait until every Node object exists.
    await waitCount(etcdClient, '/orchard/registry/nodes/', a.nodes, 60_000);

    // What the connected nodes alone cost (heartbeats, lease keep-alives), before any pod.
    const idle = new CpuWindow({ master: () => masterProc!.pid, etcd: () => etcd.members[0]!.proc!.pid });
    idle.mark();
    await new Promise((r) => setTimeout(r, IDLE_WINDOW_MS));
    idle.mark();
    const idleCpu = idle.report(IDLE_WINDOW_MS / 1000);
    say(`${a.nodes} nodes connected, no pods, CPU over ${IDLE_WINDOW_MS / 1000} s: ${idleCpu}`);
    const bound: number[] = [];
    // CPU time of each process between the first and the last binding: where the time goes.
    const cpu = new CpuWindow({ master: () => masterProc!.pid, etcd: () => etcd.members[0]!.proc!.pid });
    const watcher = await watchBindings(etcdClient, (_k, at) => {
      if (bound.length === 0) cpu.mark();
      bound.push(at);
      if (bound.length === a.pods) cpu.mark();
    });
    const batches: ApiObject[][] = [];
    for (let i = 0; i < a.pods; i += a.batch) batches.push(podBatch(i, Math.min(a.batch, a.pods - i)));
    let start: number;
    let createdAt: number;
    if (a.preload) {
      // The scheduler alone: the pods are written straight into etcd (as Apply would store
      // them) while the bench holds the leadership; once the master's cache holds them the
      // bench resigns, the master is elected with every pod pending, and binds them all.
      // Measured from the resignation. The nodes stay connected throughout.
      say(`writing ${a.pods} pending pods into etcd while the bench holds the leadership`);
      await preloadPods(etcdClient, batches);
      // The master's pod cache follows etcd through a watch: a moment to take them in.
      await new Promise((r) => setTimeout(r, 3000));
      start = createdAt = performance.now();
      await holder!.resign();
      say('bench resigned the leadership; the master takes over with the pods pending');
    } else {
      say(`creating ${a.pods} pods (${batches.length} Apply calls of ${a.batch}, ${a.inflight} in flight)`);
      start = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: a.inflight }, async () => {
          while (next < batches.length) {
            const b = batches[next++]!;
            await applyWithRetry(api!, b);
          }
        }),
      );
      createdAt = performance.now();
    }
    const deadline = Date.now() + 300_000;
    while (bound.length < a.pods) {
      if (Date.now() > deadline) throw new Error(`only ${bound.length} of ${a.pods} pods bound after 300 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const delivered = await waitDelivered(sim, a.pods, 60_000);
    await watcher.cancel();

    bound.sort((x, y) => x - y);
    const last = bound.at(-1)!;
    const first = bound[0]!;
    const createS = (createdAt - start) / 1000;
    const totalS = (last - start) / 1000;
    const bindS = (last - first) / 1000;
    const created = a.pods / createS;
    const overall = a.pods / totalS;
    const steady = a.pods / bindS;
    const deliveredS = (delivered - start) / 1000;
    console.log(`scheduler-throughput: ${a.pods} pods on ${a.nodes} simulated nodes (one master, one etcd member)`);
    if (a.preload) console.log('  pods written into etcd beforehand while the bench held the leadership; measured from its resignation (the master\'s election included)');
    else console.log(`  created through the API in ${createS.toFixed(2)} s (${created.toFixed(0)} pods/s)`);
    if (a.preload && first < start) console.log(`  note: the first binding came ${((start - first) / 1000).toFixed(2)} s before the handover (the bench's leadership lapsed): the run is not clean`);
    console.log(`  all bound ${totalS.toFixed(2)} s after the ${a.preload ? 'handover' : 'first Apply'}: ${overall.toFixed(0)} pods/s`);
    console.log(`  first to last binding ${bindS.toFixed(2)} s: ${steady.toFixed(0)} pods/s`);
    console.log(`  all delivered to their nodes' streams ${deliveredS.toFixed(2)} s after the ${a.preload ? 'handover' : 'first Apply'}`);
    console.log(`  CPU with the nodes connected and no pods (before): ${idleCpu}`);
    console.log(`  CPU between the first and the last binding (% of one core; the machine has ${machineCores()}): ${cpu.report(bindS)}`);
    console.log(`  aim: 2,000 pods/s`);
    const file = await appendResult(
      'scheduler-throughput: pods bound per second (simulated nodes, one master, real etcd)',
      '| date (UTC) | machine | nodes | pods | Apply batch | created /s | bound /s (from first Apply) | bound /s (first to last binding) | delivered to nodes after |\n|---|---|---|---|---|---|---|---|---|',
      `| ${utcNow()} | ${machine()} | ${a.nodes} | ${a.pods} | ${a.preload ? 'preloaded (written into etcd, master took over the leadership with them pending)' : a.batch} | ${a.preload ? '-' : created.toFixed(0)} | ${overall.toFixed(0)} | ${steady.toFixed(0)} | ${deliveredS.toFixed(2)} s |`,
    );
    console.log(`  appended to ${path.relative(process.cwd(), file) || file}`);
    sim.stop();
    sim = undefined;
    await stopProcess(masterProc!, 'SIGTERM', 15_000);
    if (a.cpuProf) say(`CPU profile: ${readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(dir, f)).join(', ')}`);
  } finally {
    sim?.stop();
    api?.close();
    etcdClient?.close();
    // SIGTERM first: the CPU profile is written when the master exits by itself.
    if (masterProc) await stopProcess(masterProc, 'SIGTERM', 15_000);
    await killAll();
    await stopEtcd(etcd);
  }
}

/**
 * Writes pods into etcd as an Apply would store them (defaulted, uid, creation time,
 * generation 1, no status), one transaction per batch.
 */
async function preloadPods(etcd: Etcd3, batches: ApiObject[][]): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  for (const batch of batches) {
    const ops = batch.map((o) => {
      const obj = withDefaults(o);
      const pod = obj.resource?.$case === 'pod' ? obj.resource.pod : undefined;
      if (!pod?.metadata) throw new Error('preload: not a pod');
      pod.metadata.uid = randomUUID();
      pod.metadata.creationTimestamp = now;
      pod.metadata.generation = 1;
      pod.status = undefined;
      return etcd.put(`/orchard/registry/pods/${pod.metadata.namespace}/${pod.metadata.name}`).value(Buffer.from(ApiObject.encode(obj).finish()));
    });
    await etcd.if('/orchard/registry/pods/', 'Version', '>', -1).then(...ops).commit();
  }
}

/** CPU seconds of the master, etcd and this process (the simulated nodes and the watch) between two marks. */
class CpuWindow {
  private readonly marks: Array<{ master: number; etcd: number; bench: number }> = [];
  constructor(private readonly pids: { master: () => number; etcd: () => number }) {}

  mark(): void {
    const u = process.cpuUsage();
    this.marks.push({ master: procCpuSeconds(this.pids.master()), etcd: procCpuSeconds(this.pids.etcd()), bench: (u.user + u.system) / 1e6 });
  }

  report(windowS: number): string {
    const [a, b] = this.marks;
    if (!a || !b || windowS <= 0) return 'not measured';
    const pct = (x: number, y: number) => `${((100 * (y - x)) / windowS).toFixed(0)}%`;
    return `master ${pct(a.master, b.master)}, etcd ${pct(a.etcd, b.etcd)}, bench (simulated nodes, watch) ${pct(a.bench, b.bench)}`;
  }
}

/** utime + stime of a process, in seconds (Linux /proc). */
function procCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function machineCores(): string {
  const n = readdirSync('/sys/devices/system/cpu').filter((f) => /^cpu[0-9]+$/.test(f)).length;
  return `${n} core${n === 1 ? '' : 's'}`;
}

/** Apply, retried like a client would when the master answers "unavailable" (overloaded etcd). */
async function applyWithRetry(api: Api, objects: ApiObject[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await api.apply(objects, 60_000);
      return;
    } catch (err) {
      if ((err as { code?: number }).code !== 14 || attempt >= 5) throw err;
      say(`Apply unavailable (attempt ${attempt}): ${(err as Error).message.split('\n')[0]}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Node objects node-0001.. as joining would create them. */
async function createNodes(api: Api, n: number): Promise<void> {
  for (let i = 1; i <= n; i += 100) {
    const docs: string[] = [];
    for (let j = i; j < Math.min(i + 100, n + 1); j++) docs.push(`apiVersion: v1\nkind: Node\nmetadata:\n  name: node-${String(j).padStart(4, '0')}\n`);
    await api.apply(parseManifests(docs.join('---\n'), 'nodes'));
  }
}

async function waitCount(etcd: Etcd3, prefix: string, n: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await etcd.getAll().prefix(prefix).count();
    if (c >= n) return;
    if (Date.now() > deadline) throw new Error(`${c} of ${n} keys under ${prefix} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** performance.now() when the last of n pods reached a simulated node. */
async function waitDelivered(sim: SimNodes, n: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (sim.sightings.size < n) {
    if (Date.now() > deadline) throw new Error(`${sim.sightings.size} of ${n} pods reached their nodes after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Math.max(...[...sim.sightings.values()].map((s) => s.at));
}

// Exits explicitly: gRPC channels of the simulated nodes would keep the process alive.
main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`[bench] failed: ${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
