import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { exec } from './exec';
import { hostEngine, docker } from './docker';
import type { BedFacts } from './facts';
import { buildTestImages, saveTestImages } from './images';
import { addPodRoute, createLan, removeLan, removePodRoute } from './lan';
import { BED_ROOT, BRIDGE_ADDRESS, NODES_DIR, REPO_ROOT, RUNS_DIR, STATE_FILE, nodeLayout } from './layout';
import { lockBed, unlockBed } from './lock';
import { unmountUnder } from './mounts';
import { createNode, leftoverNode, removeNode, type SimNode } from './netns-node';
import { pidsMentioning, terminate } from './procfs';

/** How many simulated nodes the e2e run gets (ORCHARD_BED_NODES overrides). */
const NODE_COUNT = Number(process.env.ORCHARD_BED_NODES ?? 3);

function log(msg: string): void {
  process.stderr.write(`[bed] ${msg}\n`);
}

/** Fails early, with the fix, when the machine cannot host the bed. */
async function checkPrerequisites(): Promise<void> {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push('must run as root (network namespaces, iptables, dockerd)');
  const tools: Array<[string, string[], string]> = [
    ['docker', ['info', '--format', '{{.ServerVersion}}'], 'the Docker engine is not answering: run bash test/bed/prepare.sh (installs docker.io and starts dockerd)'],
    ['etcd', ['--version'], 'etcd not found: apt-get install etcd-server (test/bed/prepare.sh does)'],
    ['etcdctl', ['version'], 'etcdctl not found: apt-get install etcd-client (test/bed/prepare.sh does)'],
    ['ip', ['-V'], 'ip not found: apt-get install iproute2'],
    ['iptables', ['--version'], 'iptables not found: apt-get install iptables'],
    ['nsenter', ['--version'], 'nsenter not found: apt-get install util-linux'],
  ];
  for (const [file, args, fix] of tools) {
    const r = await exec(file, args, { timeoutMs: 20_000, env: { ...process.env, ETCDCTL_API: '3' } }).catch(() => undefined);
    if (!r || r.code !== 0) problems.push(fix);
  }
  try {
    await fs.access('/bin/busybox');
  } catch {
    problems.push('/bin/busybox missing: apt-get install busybox-static');
  }
  if (problems.length) throw new Error(`the e2e test bed cannot start:\n  - ${problems.join('\n  - ')}`);
  // Not fatal here: the bed's own checks need no build, and every scenario that starts a
  // binary fails with the same message (processes.ts distMain).
  for (const pkg of ['master', 'agent', 'cli']) {
    const main = path.join(REPO_ROOT, 'packages', pkg, 'dist', 'main.js');
    try {
      await fs.access(main);
    } catch {
      log(`WARNING: ${main} missing: run npm run build; scenarios that need it will fail`);
    }
  }
}

/**
 * Removes what a crashed earlier run left: its processes (found by the bed's folder in
 * their command lines), nodes (namespaces orch-piN and folders under NODES_DIR), pod
 * routes, the bridge and its iptables rule, and old run folders. Only the bed's own names.
 */
async function removeLeftovers(): Promise<void> {
  for (const pid of await pidsMentioning(`${BED_ROOT}/`)) {
    log(`stopping leftover process ${pid}`);
    await terminate(pid, 3_000).catch(() => undefined);
  }
  const indexes = new Set<number>();
  const netns = (await exec('ip', ['netns', 'list'])).stdout;
  for (const line of netns.split('\n')) {
    const m = /^orch-pi(\d+)\b/.exec(line);
    if (m) indexes.add(Number(m[1]));
  }
  for (const entry of await fs.readdir(NODES_DIR).catch(() => [] as string[])) {
    const m = /^pi(\d+)$/.exec(entry);
    if (m) indexes.add(Number(m[1]));
  }
  for (let i = 1; i <= NODE_COUNT; i++) indexes.add(i);
  for (const i of indexes) {
    await removePodRoute(nodeLayout(i));
    await removeNode(leftoverNode(i));
  }
  await removeLan();
  // Agents mount a tmpfs per secret volume under their data dir (a run's folder); one a
  // crashed run left must go before the folder can.
  await unmountUnder(RUNS_DIR);
  await fs.rm(RUNS_DIR, { recursive: true, force: true });
}

async function teardownNodes(nodes: SimNode[]): Promise<void> {
  const errors: string[] = [];
  await Promise.all(
    nodes.map(async (n) => {
      await removePodRoute(n).catch((e: Error) => errors.push(e.message));
      await removeNode(n).catch((e: Error) => errors.push(e.message));
    }),
  );
  await removeLan().catch((e: Error) => errors.push(e.message));
  if (errors.length) throw new Error(`test bed teardown incomplete:\n  ${errors.join('\n  ')}`);
}

/** vitest globalSetup of the e2e project: one LAN with NODE_COUNT simulated nodes per run. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await checkPrerequisites();
  await lockBed();
  const nodes: SimNode[] = [];
  const teardown = async () => {
    try {
      // Test files stop what they start; a worker that died cannot, so its etcd, masters
      // and agents (all with data under RUNS_DIR) are stopped here.
      for (const pid of await pidsMentioning(`${RUNS_DIR}/`)) {
        log(`stopping process ${pid} left running by a test file`);
        await terminate(pid, 3_000).catch(() => undefined);
      }
      log(`removing ${nodes.length} simulated node(s) and the LAN`);
      await teardownNodes(nodes);
      await fs.rm(STATE_FILE, { force: true });
    } finally {
      await unlockBed();
    }
  };
  try {
    await removeLeftovers();
    const started = Date.now();
    await buildTestImages(hostEngine);
    const tarball = await saveTestImages(hostEngine);
    await createLan();
    await fs.mkdir(RUNS_DIR, { recursive: true });
    const created = await Promise.allSettled(
      Array.from({ length: NODE_COUNT }, (_, i) => createNode(i + 1, tarball)),
    );
    for (const c of created) if (c.status === 'fulfilled') nodes.push(c.value);
    const failed = created.find((c): c is PromiseRejectedResult => c.status === 'rejected');
    if (failed) throw failed.reason;
    for (const n of nodes) await addPodRoute(n);
    const facts: BedFacts = { nodes, runsDir: RUNS_DIR, bridgeAddress: BRIDGE_ADDRESS };
    await fs.writeFile(STATE_FILE, JSON.stringify(facts, null, 2));
    const version = (await docker(hostEngine, ['version', '--format', '{{.Server.Version}}'])).stdout.trim();
    log(`${nodes.length} simulated node(s) ready in ${Date.now() - started} ms (docker ${version}): ${nodes.map((n) => `${n.name}=${n.address}`).join(' ')}`);
    project.provide('bed', facts);
  } catch (e) {
    await teardown().catch((te: Error) => log(`teardown after failed setup: ${te.message}`));
    throw e;
  }
  return teardown;
}
