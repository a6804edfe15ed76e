/**
 * The agent's footprint on a node: resident memory, CPU and bytes written to disk over an
 * idle window, with no pods and with 20 running pods. Appends the figures to
 * bench/RESULTS.md.
 *
 *   npx tsx bench/footprint.ts [--window S] [--settle S] [--pods N] [--note TEXT]
 *
 * The agent runs on a simulated node (test/bed) against a real master and etcd, started
 * as an installed agent is (bin/orchard-agent, so its Node.js flags count). Figures come
 * from /proc/PID: VmRSS (sampled every second: mean and peak), utime+stime (CPU over the
 * window, as a share of one core), io write_bytes (what reached the block layer or the
 * page cache for writing, i.e. what wears an SD card). RSS is also shown split into
 * anonymous memory (RssAnon: heap, stacks, buffers) and file-backed pages (RssFile: mostly
 * the node binary's code, clean pages the kernel can drop under pressure). The peer figure is the issue's:
 * k3s's agent needs 268 MB and 10% of a core on a Pi 4. Needs root and a build
 * (bash test/bed/prepare.sh).
 */
import { execSync } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeResult } from '../test/bed/cli';
import { startCluster, type TestCluster } from '../test/bed/cluster';
import { docker, hostEngine } from '../test/bed/docker';
import { buildTestImages, saveTestImages, TEST_IMAGES } from '../test/bed/images';
import { createLan, removeLan } from '../test/bed/lan';
import { BED_ROOT, BRIDGE_ADDRESS, RUNS_DIR } from '../test/bed/layout';
import { lockBed, unlockBed } from '../test/bed/lock';
import { createNode, nodeEngine, removeNode, type SimNode } from '../test/bed/netns-node';
import { agentNodeFlags, killAll } from '../test/bed/processes';
import { sleep, waitFor } from '../test/bed/wait';

/** The simulated node the benchmark uses: apart from the e2e run's pi1..pi3. */
const BENCH_NODE_INDEX = 9;
const CLK_TCK = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;

interface Args {
  windowS: number;
  settleS: number;
  pods: number;
  /** What this run measures (a change being tried), for the results table. */
  note: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { windowS: 60, settleS: 20, pods: 20, note: '' };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '--window') a.windowS = Number(argv[++i]);
    else if (v === '--settle') a.settleS = Number(argv[++i]);
    else if (v === '--pods') a.pods = Number(argv[++i]);
    else if (v === '--note') a.note = argv[++i] ?? '';
    else throw new Error(`unknown argument ${v} (usage: npx tsx bench/footprint.ts [--window S] [--settle S] [--pods N] [--note TEXT])`);
  }
  for (const k of ['windowS', 'settleS', 'pods'] as const) if (!Number.isFinite(a[k]) || a[k] < 0) throw new Error(`--${k} must be a non-negative number`);
  return a;
}

function say(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

interface ProcSample {
  rssBytes: number;
  /** Anonymous resident memory (heap, stacks, buffers): what only this process holds. */
  anonBytes: number;
  /** File-backed resident pages, mostly the node binary's code: clean, shared, reclaimable. */
  fileBytes: number;
  cpuTicks: number;
  writeBytes: number;
}

/** One reading of /proc/PID: VmRSS, utime+stime, write_bytes. */
function readProc(pid: number): ProcSample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
  const anon = /^RssAnon:\s+(\d+) kB/m.exec(status);
  const file = /^RssFile:\s+(\d+) kB/m.exec(status);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (in parentheses, may hold spaces); utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const wb = /^write_bytes:\s+(\d+)/m.exec(io);
  if (!rss || !anon || !file || !wb) throw new Error(`unreadable /proc/${pid}`);
  return { rssBytes: Number(rss[1]) * 1024, anonBytes: Number(anon[1]) * 1024, fileBytes: Number(file[1]) * 1024, cpuTicks: Number(fields[11]) + Number(fields[12]), writeBytes: Number(wb[1]) };
}

interface Window {
  meanRssMB: number;
  meanAnonMB: number;
  meanFileMB: number;
  peakRssMB: number;
  cpuPercent: number;
  writtenBytes: number;
}

/** Samples the process every second for windowS seconds. */
async function measure(pid: number, windowS: number): Promise<Window> {
  const first = readProc(pid);
  const t0 = performance.now();
  const samples: ProcSample[] = [first];
  while (performance.now() - t0 < windowS * 1000) {
    await sleep(1000);
    samples.push(readProc(pid));
  }
  const rss = samples.map((x) => x.rssBytes);
  const meanMB = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length / 2 ** 20;
  const last = readProc(pid);
  const seconds = (performance.now() - t0) / 1000;
  return {
    meanRssMB: meanMB(rss),
    meanAnonMB: meanMB(samples.map((x) => x.anonBytes)),
    meanFileMB: meanMB(samples.map((x) => x.fileBytes)),
    peakRssMB: Math.max(...rss) / 2 ** 20,
    cpuPercent: ((last.cpuTicks - first.cpuTicks) / CLK_TCK / seconds) * 100,
    writtenBytes: last.writeBytes - first.writeBytes,
  };
}

function podManifests(n: number): string {
  return Array.from(
    { length: n },
    (_, i) => `apiVersion: v1
kind: Pod
metadata:
  name: idle-${i}
  labels:
    app: footprint
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

async function runningApps(node: SimNode): Promise<number> {
  const r = await docker(nodeEngine(node), ['ps', '-q', '--filter', 'label=io.orchard.container.name=main', '--filter', 'status=running'], { timeoutMs: 10_000 });
  return r.stdout.split('\n').filter(Boolean).length;
}

const SECTION = '## footprint: orchard-agent RSS, CPU and disk writes over an idle window';

async function appendResult(line: string): Promise<string> {
  const file = path.join(__dirname, 'RESULTS.md');
  const text = await fs.readFile(file, 'utf8').catch(() => '# Benchmark results\n\nAppended by the benchmarks in this folder; one line per run.\n');
  if (!text.includes(SECTION)) {
    await fs.writeFile(
      file,
      `${text.replace(/\n*$/, '\n')}\n${SECTION}\n\n` +
        'Aim: under 50 MB RSS, under 1% of one core, 0 bytes written while idle (k3s agent on a Pi 4, per the issue: 268 MB, 10% of a core).\n\n' +
        '| date (UTC) | machine | agent Node.js flags | note | window | pods | RSS mean | RSS peak | CPU (% of one core) | bytes written | RSS mean: anon + file |\n' +
        '|---|---|---|---|---|---|---|---|---|---|---|\n' +
        `${line}\n`,
    );
    return file;
  }
  // The line goes at the end of this section's table: other benchmarks' sections follow it.
  const start = text.indexOf(SECTION);
  const next = text.indexOf('\n## ', start + SECTION.length);
  const end = next < 0 ? text.length : next;
  const section = text.slice(start, end).replace(/\n*$/, '\n');
  await fs.writeFile(file, `${text.slice(0, start)}${section}${line}\n${next < 0 ? '' : '\n'}${text.slice(end).replace(/^\n*/, '')}`);
  return file;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('run as root (namespaces, dockerd)');
  await lockBed();
  try {
    await bench(a);
  } finally {
    await unlockBed();
  }
}

async function bench(a: Args): Promise<void> {
  await fs.mkdir(RUNS_DIR, { recursive: true });
  say(`run folders under ${RUNS_DIR} (${BED_ROOT})`);
  await buildTestImages(hostEngine);
  await createLan();
  let node: SimNode | undefined;
  let cluster: TestCluster | undefined;
  const results: Array<{ pods: number; w: Window }> = [];
  try {
    node = await createNode(BENCH_NODE_INDEX, await saveTestImages(hostEngine));
    cluster = await startCluster({ nodes: [node], runsDir: RUNS_DIR, bridgeAddress: BRIDGE_ADDRESS }, { name: 'bench-footprint', nodes: [node] });
    await cluster.waitNodesReady();
    const pid = cluster.agents.get(node.name)!.pid;
    say(`agent pid ${pid}; settling ${a.settleS} s`);
    await sleep(a.settleS * 1000);
    say(`measuring ${a.windowS} s with 0 pods`);
    results.push({ pods: 0, w: await measure(pid, a.windowS) });

    const applied = await cluster.cli(['apply', '-f', '-'], { input: podManifests(a.pods) });
    if (applied.code !== 0) throw new Error(describeResult(['apply', '-f', '-'], applied));
    const n = node;
    await waitFor(`${a.pods} pods to run`, async () => (await runningApps(n)) >= a.pods, { timeoutMs: 120_000, intervalMs: 500 });
    say(`${a.pods} pods running; settling ${a.settleS} s`);
    await sleep(a.settleS * 1000);
    say(`measuring ${a.windowS} s with ${a.pods} pods`);
    results.push({ pods: a.pods, w: await measure(pid, a.windowS) });
    if (cluster.agents.get(node.name)!.exit) throw new Error('the agent exited during the benchmark');
  } finally {
    await cluster?.teardown().catch((e: Error) => say(`teardown: ${e.message}`));
    await killAll();
    if (node) await removeNode(node).catch((e: Error) => say(`remove node: ${e.message}`));
    await removeLan();
  }
  const flags = agentNodeFlags().join(' ');
  const machine = `${execSync('uname -m').toString().trim()}, ${os.cpus().length} cores, ${os.hostname()}, load ${os.loadavg()[0]!.toFixed(1)}`;
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  console.log(`footprint of orchard-agent (${a.windowS} s idle window)`);
  let file = '';
  for (const { pods, w } of results) {
    console.log(
      `  ${String(pods).padStart(2)} pods: RSS ${w.meanRssMB.toFixed(1)} MB mean, ${w.peakRssMB.toFixed(1)} MB peak; CPU ${w.cpuPercent.toFixed(2)}% of one core; ${w.writtenBytes} bytes written; RSS = ${w.meanAnonMB.toFixed(1)} MB anonymous + ${w.meanFileMB.toFixed(1)} MB file-backed`,
    );
    file = await appendResult(`| ${date} | ${machine} | ${flags || '(none)'} | ${a.note} | ${a.windowS} s | ${pods} | ${w.meanRssMB.toFixed(1)} MB | ${w.peakRssMB.toFixed(1)} MB | ${w.cpuPercent.toFixed(2)}% | ${w.writtenBytes} | ${w.meanAnonMB.toFixed(1)} + ${w.meanFileMB.toFixed(1)} MB |`);
  }
  console.log('  aim: < 50 MB RSS, < 1% of one core, 0 bytes written idle (k3s agent: 268 MB, 10% of a core on a Pi 4)');
  console.log(`  appended to ${path.relative(process.cwd(), file) || file}`);
}

main().catch((e: Error) => {
  process.stderr.write(`[bench] failed: ${e.stack ?? e.message}\n`);
  process.exitCode = 1;
});
