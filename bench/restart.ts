/**
 * Time until a killed container runs again: Orchard next to Docker Swarm on the same
 * Docker engine in the same run, and the ratio. Appends the figures to bench/RESULTS.md.
 *
 *   npx tsx bench/restart.ts [--host-engine] [--rounds N]
 *
 * Each round kills the app container with `docker kill` (SIGKILL, as the kernel's OOM
 * killer or a crash would end it) and polls `docker ps` until another container of the
 * same pod (Orchard) or service (Swarm) runs. An Orchard round uses a new pod, so each
 * kill is a first restart (immediate; later ones back off as Kubernetes does). Needs
 * root and a build (bash test/bed/prepare.sh).
 */
import path from 'node:path';
import { describeResult } from '../test/bed/cli';
import { docker, dockerOk, type Engine } from '../test/bed/docker';
import { TEST_IMAGES } from '../test/bed/images';
import { RUNS_DIR } from '../test/bed/layout';
import { lockBed, unlockBed } from '../test/bed/lock';
import { killAll } from '../test/bed/processes';
import { sleep, waitFor } from '../test/bed/wait';
import { appendResult, machine, median, say, utcNow } from './bench-kit';
import { setUpTarget, startOrchard, stopOrchard, tearDownTarget, type OrchardRig } from './pods-20';
import { sleeperPod } from '../test/bed/manifests';

const POLL_MS = 20;
const TIMEOUT_MS = 60_000;

interface Args {
  hostEngine: boolean;
  rounds: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { hostEngine: false, rounds: 3 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '--host-engine') a.hostEngine = true;
    else if (v === '--rounds') a.rounds = Number(argv[++i]);
    else throw new Error(`unknown argument ${v} (usage: npx tsx bench/restart.ts [--host-engine] [--rounds N])`);
  }
  if (!Number.isInteger(a.rounds) || a.rounds < 1) throw new Error('--rounds must be a positive integer');
  return a;
}

/** Ids of running containers carrying a label. */
async function running(engine: Engine, label: string): Promise<string[]> {
  const r = await docker(engine, ['ps', '-q', '--no-trunc', '--filter', `label=${label}`, '--filter', 'status=running'], { timeoutMs: 10_000 });
  return r.stdout.split('\n').filter(Boolean);
}

/** Kills the one running container with the label; ms until another one with it runs. */
async function killAndTime(engine: Engine, label: string): Promise<number> {
  const [victim] = await waitFor(`a running container with ${label}`, async () => {
    const ids = await running(engine, label);
    return ids.length === 1 ? ids : undefined;
  }, { timeoutMs: TIMEOUT_MS, intervalMs: 100 });
  const t0 = performance.now();
  await dockerOk(engine, ['kill', victim!]);
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    if ((await running(engine, label)).some((id) => id !== victim)) return performance.now() - t0;
    if (Date.now() > deadline) throw new Error(`no new container with ${label} ${TIMEOUT_MS} ms after the kill`);
    await sleep(POLL_MS);
  }
}

const pod = sleeperPod;

async function orchardRound(engine: Engine, rig: OrchardRig, i: number): Promise<number> {
  const name = `restart-bench-${i}`;
  const applied = await rig.cli(['apply', '-f', '-'], { input: pod(name) });
  if (applied.code !== 0) throw new Error(describeResult(['apply', '-f', '-'], applied));
  const label = `io.orchard.pod.name=${name}`;
  // Only the app container: the infra container carries the pod's labels too.
  const ms = await killAndTime(engine, `io.orchard.container.name=main`).catch(async (e) => {
    throw new Error(`Orchard round ${i + 1}: ${(e as Error).message}`);
  });
  const d = await rig.cli(['delete', 'pod', name]);
  if (d.code !== 0) throw new Error(describeResult(['delete', 'pod', name], d));
  await waitFor(`the containers of ${name} to be removed`, async () => {
    const r = await docker(engine, ['ps', '-aq', '--filter', `label=${label}`]);
    return r.stdout.trim() === '';
  }, { timeoutMs: TIMEOUT_MS, intervalMs: 200 });
  return ms;
}

async function swarmRound(engine: Engine): Promise<number> {
  const service = `orchard-bench-restart-${process.pid}`;
  const label = `com.docker.swarm.service.name=${service}`;
  await dockerOk(engine, ['service', 'create', '--detach', '--quiet', '--name', service, '--replicas', '1', TEST_IMAGES.busybox, 'sleep', '3600']);
  try {
    return await killAndTime(engine, label);
  } finally {
    await docker(engine, ['service', 'rm', service]);
    await waitFor('the swarm service\'s containers to be removed', async () => {
      const r = await docker(engine, ['ps', '-aq', '--filter', `label=${label}`]);
      return r.stdout.trim() === '';
    }, { timeoutMs: TIMEOUT_MS, intervalMs: 200 });
  }
}

async function bench(a: Args): Promise<void> {
  const dir = path.join(RUNS_DIR, `bench-restart-${Date.now()}`);
  const t = await setUpTarget(a, dir);
  const orchardMs: number[] = [];
  const swarmMs: number[] = [];
  let createdSwarm = false;
  try {
    say(`engine: ${t.label}`);
    const rig = await startOrchard(t, dir);
    try {
      for (let i = 0; i < a.rounds; i++) {
        const ms = await orchardRound(t.engine, rig, i);
        orchardMs.push(ms);
        say(`Orchard round ${i + 1}: running again ${ms.toFixed(0)} ms after the kill`);
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
      const ms = await swarmRound(t.engine);
      swarmMs.push(ms);
      say(`Swarm round ${i + 1}: running again ${ms.toFixed(0)} ms after the kill`);
    }
  } finally {
    if (createdSwarm) await docker(t.engine, ['swarm', 'leave', '--force']);
    await killAll();
    await tearDownTarget(t);
  }
  const o = median(orchardMs);
  const s = median(swarmMs);
  const ratio = o / s;
  console.log(`restart (${a.rounds} round(s), median, ${t.label})`);
  console.log(`  Orchard: ${(o / 1000).toFixed(2)} s until a killed container runs again`);
  console.log(`  Swarm:   ${(s / 1000).toFixed(2)} s until a killed task's replacement runs`);
  console.log(`  ratio Orchard/Swarm: ${ratio.toFixed(2)} (the aim: Orchard within 1 s)`);
  const file = await appendResult(
    'restart: a killed container running again (Orchard vs Docker Swarm, same engine)',
    '| date (UTC) | machine | engine | rounds | Orchard | Swarm | Orchard / Swarm |\n|---|---|---|---|---|---|---|',
    `| ${utcNow()} | ${machine()} | ${t.label} | ${a.rounds} | ${(o / 1000).toFixed(2)} s | ${(s / 1000).toFixed(2)} s | ${ratio.toFixed(2)} |`,
  );
  console.log(`  appended to ${path.relative(process.cwd(), file) || file}`);
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

main().catch((e: Error) => {
  process.stderr.write(`[bench] failed: ${e.message}\n`);
  process.exitCode = 1;
});
