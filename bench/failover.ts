/**
 * Leader failover: the leading master is killed with SIGKILL and a pod is applied right
 * after; measured until a new leader has bound it and until its node reports it Running.
 *
 *   npx tsx bench/failover.ts [--rounds 5] [--leader-lease-ttl S]
 *
 * Three masters on a three-member etcd cluster (loopback), three simulated nodes
 * (bench/sim-nodes.ts: node streams that report every pod Running at once, so the figure is
 * the control plane's alone). Each round kills the leader, applies a pod through another
 * master, polls etcd every 10 ms, then starts the killed master again. Appends the median and
 * maximum to bench/RESULTS.md. Needs a build (npm run build); not root.
 */
import path from 'node:path';
import { ApiObject, parseManifests } from '@orchard/api';
import { Etcd3 } from 'etcd3';
import { stopEtcd } from '../test/bed/etcd';
import { TEST_IMAGES } from '../test/bed/images';
import { killAll, stopProcess } from '../test/bed/processes';
import { Api, appendResult, machine, median, runDir, say, startEtcd, startLoopbackMaster, utcNow, type MasterProc } from './bench-kit';
import { benchCredentials, writeServerSecret } from './credentials';
import { SimNodes } from './sim-nodes';
import { swarmFailover, type SwarmRound } from './swarm-failover';

interface Args {
  rounds: number;
  leaseTtl?: number;
  swarm: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { rounds: 5, swarm: true };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '--rounds') a.rounds = Number(argv[++i]);
    else if (v === '--leader-lease-ttl') a.leaseTtl = Number(argv[++i]);
    else if (v === '--no-swarm') a.swarm = false;
    else throw new Error(`unknown argument ${v} (usage: npx tsx bench/failover.ts [--rounds N] [--leader-lease-ttl S] [--no-swarm])`);
  }
  if (!Number.isInteger(a.rounds) || a.rounds < 1) throw new Error('--rounds must be a positive integer');
  if (a.leaseTtl !== undefined && (!Number.isInteger(a.leaseTtl) || a.leaseTtl < 1)) throw new Error('--leader-lease-ttl must be a positive integer');
  return a;
}

function pod(name: string): ApiObject[] {
  return parseManifests(
    `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
    - name: main
      image: ${TEST_IMAGES.busybox}
      imagePullPolicy: IfNotPresent
      command: ["sleep", "3600"]
`,
    name,
  );
}

interface Round {
  leaderMs: number;
  boundMs: number;
  runningMs: number;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const dir = await runDir('failover');
  say(`run folder ${dir}`);
  const etcd = await startEtcd(dir, 3);
  const urls = etcd.members.map((m) => m.clientUrl);
  const etcdClient = new Etcd3({ hosts: urls });
  const secret = writeServerSecret(dir);
  const masterArgs = ['--log-level', 'info', '--server-secret-file', secret, ...(a.leaseTtl ? ['--leader-lease-ttl', String(a.leaseTtl)] : [])];
  const masters: MasterProc[] = [];
  let sim: SimNodes | undefined;
  const apis = new Map<string, Api>();
  try {
    for (const name of ['m1', 'm2', 'm3']) masters.push(await startLoopbackMaster(dir, name, etcd, { args: masterArgs }));
    const creds = await benchCredentials(path.join(dir, 'master-m1'), urls, secret);
    say(creds.tls ? 'mutual TLS' : 'plaintext');
    for (const m of masters) apis.set(m.name, new Api(m.address, creds.api));
    const anyApi = (except?: string) => [...apis.entries()].find(([n]) => n !== except)![1];
    if (creds.tls) {
      const docs = ['node-0001', 'node-0002', 'node-0003'].map((n) => `apiVersion: v1\nkind: Node\nmetadata:\n  name: ${n}\n`).join('---\n');
      await anyApi().apply(parseManifests(docs, 'nodes'));
    }
    sim = new SimNodes({ servers: masters.map((m) => m.address), credentials: creds, count: 3, ack: true, images: [TEST_IMAGES.busybox] });
    await sim.start(60_000);

    const rounds: Round[] = [];
    for (let r = 1; r <= a.rounds; r++) {
      const leaderName = await waitLeader(anyApi());
      const leader = masters.find((m) => m.name === leaderName)!;
      const other = anyApi(leaderName);
      const name = `failover-${r}`;
      const t0 = performance.now();
      leader.proc.child.kill('SIGKILL');
      await other.apply(pod(name));
      let leaderMs = 0;
      let boundMs = 0;
      let runningMs = 0;
      const deadline = Date.now() + 60_000;
      while (!boundMs || !runningMs || !leaderMs) {
        if (Date.now() > deadline) throw new Error(`round ${r}: pod ${name} not bound and Running 60 s after the leader was killed`);
        const kv = await etcdClient.get(`/orchard/registry/pods/default/${name}`).buffer();
        const p = kv ? ApiObject.decode(kv) : undefined;
        const spec = p?.resource?.$case === 'pod' ? p.resource.pod : undefined;
        const now = performance.now() - t0;
        if (!boundMs && spec?.spec?.nodeName) boundMs = now;
        if (!runningMs && spec?.status?.phase === 'Running') runningMs = now;
        if (!leaderMs) {
          const l = await other.listMasters().catch(() => undefined);
          const name2 = l?.masters.find((m) => m.leader)?.name;
          if (name2 && name2 !== leaderName) leaderMs = performance.now() - t0;
        }
        await new Promise((res) => setTimeout(res, 10));
      }
      rounds.push({ leaderMs, boundMs, runningMs });
      say(`round ${r}: ${leaderName} killed; new leader seen after ${leaderMs.toFixed(0)} ms, pod bound after ${boundMs.toFixed(0)} ms, Running after ${runningMs.toFixed(0)} ms`);
      await leader.proc.exited;
      // The same master again, on its address, for the next round.
      const again = await startLoopbackMaster(dir, leader.name, etcd, { args: masterArgs, address: leader.address });
      Object.assign(leader, again);
      await new Promise((res) => setTimeout(res, 1000));
    }
    // Swarm after Orchard, not at once: both would share the two cores.
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    let swarm: SwarmRound[] = [];
    if (a.swarm && process.getuid?.() === 0) swarm = await swarmFailover(a.rounds);
    else say('Docker Swarm not measured (needs root and the test bed; --no-swarm skips it)');
    const bound = rounds.map((x) => x.boundMs);
    const running = rounds.map((x) => x.runningMs);
    const leaders = rounds.map((x) => x.leaderMs);
    const ttl = a.leaseTtl ?? 2;
    console.log(`failover: leader SIGKILLed, pod applied at once (${a.rounds} rounds, 3 masters, 3 etcd members, leader lease TTL ${ttl} s)`);
    console.log(`  new leader (get masters):   median ${s(median(leaders))}, max ${s(Math.max(...leaders))}`);
    console.log(`  pod bound by the new leader: median ${s(median(bound))}, max ${s(Math.max(...bound))}`);
    console.log(`  pod Running (node reported): median ${s(median(running))}, max ${s(Math.max(...running))}`);
    const swarmAnswers = swarm.map((x) => x.answersMs);
    const swarmService = swarm.map((x) => x.serviceMs);
    const swarmCell = swarm.length
      ? `answers ${s(median(swarmAnswers))} / ${s(Math.max(...swarmAnswers))}, service create ${s(median(swarmService))} / ${s(Math.max(...swarmService))}`
      : 'not measured';
    if (swarm.length) console.log(`  Docker Swarm, 3 managers, leader's dockerd SIGKILLed: another manager answers node ls after median ${s(median(swarmAnswers))} (max ${s(Math.max(...swarmAnswers))}), accepts service create after median ${s(median(swarmService))} (max ${s(Math.max(...swarmService))})`);
    console.log('  aim: a new leader scheduling within 2 s');
    const file = await appendResult(
      'failover: leader SIGKILLed until a new leader has bound a pod applied right after',
      '| date (UTC) | machine | rounds | leader lease TTL | new leader (median / max) | pod bound (median / max) | pod Running (median / max) | Swarm, 3 managers (median / max) |\n|---|---|---|---|---|---|---|---|',
      `| ${utcNow()} | ${machine()} | ${a.rounds} | ${ttl} s | ${s(median(leaders))} / ${s(Math.max(...leaders))} | ${s(median(bound))} / ${s(Math.max(...bound))} | ${s(median(running))} / ${s(Math.max(...running))} | ${swarmCell} |`,
    );
    console.log(`  appended to ${path.relative(process.cwd(), file) || file}`);
  } finally {
    sim?.stop();
    for (const api of apis.values()) api.close();
    etcdClient.close();
    await Promise.all(masters.map((m) => stopProcess(m.proc, 'SIGTERM', 5_000)));
    await killAll();
    await stopEtcd(etcd);
  }
}

async function waitLeader(api: Api): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const l = await api.listMasters().catch(() => undefined);
    const leader = l?.masters.find((m) => m.leader)?.name;
    if (leader) return leader;
    if (Date.now() > deadline) throw new Error('no leader after 30 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Exits explicitly: gRPC channels of the simulated nodes would keep the process alive.
main().then(
  () => process.exit(0),
  (e: Error) => {
    process.stderr.write(`[bench] failed: ${e.stack ?? e.message}\n`);
    process.exit(1);
  },
);
