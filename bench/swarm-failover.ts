/**
 * The peer figure for bench/failover.ts: a Docker Swarm of three managers, one dockerd on
 * each of three simulated nodes (test/bed), whose leader's dockerd is killed with SIGKILL;
 * measured until another manager answers `docker node ls` again and until it accepts a
 * `docker service create`. Needs root and the test bed (it takes the bed lock).
 */
import { docker, dockerOk, hostEngine } from '../test/bed/docker';
import { buildTestImages, saveTestImages, TEST_IMAGES } from '../test/bed/images';
import { createLan, removeLan } from '../test/bed/lan';
import { lockBed, unlockBed } from '../test/bed/lock';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createNode, nodeEngine, removeNode, startDockerd, type SimNode } from '../test/bed/netns-node';
import { pidsMentioning, signal, waitGone } from '../test/bed/procfs';
import { say } from './bench-kit';

/** Simulated nodes 6-8: apart from the e2e run's pi1..pi3 and pods-20's pi9. */
const MANAGER_INDEXES = [6, 7, 8];
const POLL_MS = 100;

export interface SwarmRound {
  /** Until another manager answers `docker node ls`. */
  answersMs: number;
  /** Until another manager accepts `docker service create`. */
  serviceMs: number;
}

/** Runs `rounds` leader kills on a fresh 3-manager swarm; removes everything afterwards. */
export async function swarmFailover(rounds: number): Promise<SwarmRound[]> {
  await lockBed();
  const nodes: SimNode[] = [];
  try {
    await buildTestImages(hostEngine);
    const tarball = await saveTestImages(hostEngine);
    await createLan();
    for (const i of MANAGER_INDEXES) nodes.push(await createNode(i, tarball));
    const [first, ...rest] = nodes;
    await dockerOk(nodeEngine(first!), ['swarm', 'init', '--advertise-addr', first!.address]);
    const token = (await dockerOk(nodeEngine(first!), ['swarm', 'join-token', '-q', 'manager'])).trim();
    for (const n of rest) await dockerOk(nodeEngine(n), ['swarm', 'join', '--token', token, '--advertise-addr', n.address, `${first!.address}:2377`]);
    await waitManagers(nodes);
    const out: SwarmRound[] = [];
    for (let r = 1; r <= rounds; r++) {
      const leader = await leaderOf(nodes);
      const others = nodes.filter((n) => n !== leader);
      const t0 = performance.now();
      process.kill(leader.dockerdPid, 'SIGKILL');
      let answersMs = 0;
      let serviceMs = 0;
      const service = `failover-${r}`;
      const deadline = Date.now() + 120_000;
      while (!answersMs) {
        if (Date.now() > deadline) throw new Error('Swarm: no manager answered within 120 s');
        for (const n of others) {
          const res = await docker(nodeEngine(n), ['node', 'ls', '-q'], { timeoutMs: 2_000 });
          if (res.code === 0) {
            answersMs = performance.now() - t0;
            break;
          }
        }
        if (!answersMs) await sleep(POLL_MS);
      }
      while (!serviceMs) {
        if (Date.now() > deadline) throw new Error('Swarm: no manager accepted a service within 120 s');
        const res = await docker(nodeEngine(others[0]!), ['service', 'create', '--detach', '--quiet', '--name', service, TEST_IMAGES.busybox, 'sleep', '3600'], { timeoutMs: 5_000 });
        if (res.code === 0) serviceMs = performance.now() - t0;
        else await sleep(POLL_MS);
      }
      out.push({ answersMs, serviceMs });
      say(`Swarm round ${r}: leader ${leader.name}'s dockerd killed; a manager answered after ${answersMs.toFixed(0)} ms, accepted a service after ${serviceMs.toFixed(0)} ms`);
      await docker(nodeEngine(others[0]!), ['service', 'rm', service]);
      leader.dockerdPid = await restartKilledDockerd(leader);
      await waitManagers(nodes);
    }
    return out;
  } finally {
    for (const n of nodes) await docker(nodeEngine(n), ['swarm', 'leave', '--force'], { timeoutMs: 20_000 }).catch(() => undefined);
    for (const n of nodes) await removeNode(n).catch((e: Error) => say(`removing ${n.name}: ${e.message}`));
    await removeLan().catch(() => undefined);
    await unlockBed();
  }
}

/**
 * Starts a node's killed dockerd again, as a service manager would: first its containerd,
 * which would hold its state open and make the new one time out, is stopped (shims stay).
 */
async function restartKilledDockerd(node: SimNode): Promise<number> {
  if (!(await waitGone(node.dockerdPid, 10_000))) throw new Error(`dockerd of ${node.name} (pid ${node.dockerdPid}) did not exit after SIGKILL`);
  for (const pid of await pidsMentioning(node.execRoot)) {
    const argv0 = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0')[0] ?? '';
    if (path.basename(argv0) !== 'containerd') continue;
    signal(pid, 'SIGKILL');
    await waitGone(pid, 10_000);
  }
  return startDockerd(node);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until every node is a Ready manager, one of them the leader. */
async function waitManagers(nodes: SimNode[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    for (const n of nodes) {
      const r = await docker(nodeEngine(n), ['node', 'ls', '--format', '{{.Status}} {{.ManagerStatus}}'], { timeoutMs: 5_000 });
      if (r.code !== 0) continue;
      const lines = r.stdout.split('\n').filter(Boolean);
      const ready = lines.filter((l) => l.startsWith('Ready ') && /Leader|Reachable/.test(l));
      if (ready.length >= nodes.length && lines.some((l) => l.includes('Leader'))) return;
    }
    if (Date.now() > deadline) throw new Error('Swarm: managers not all Ready within 120 s');
    await sleep(500);
  }
}

/** The node whose engine is the swarm's leader (by hostname). */
async function leaderOf(nodes: SimNode[]): Promise<SimNode> {
  for (const n of nodes) {
    const r = await docker(nodeEngine(n), ['node', 'ls', '--format', '{{.Hostname}} {{.ManagerStatus}}'], { timeoutMs: 5_000 });
    const line = r.stdout.split('\n').find((l) => l.endsWith(' Leader'));
    const host = line?.split(' ')[0];
    const leader = nodes.find((x) => x.name === host);
    if (leader) return leader;
  }
  throw new Error('Swarm: no leader found');
}
