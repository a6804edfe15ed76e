import { readFileSync, statSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { cliFor, describeResult, itemsOf, orchardOk, sleep, waitFor, type Cli } from '../bed/cli';
import type { MasterHandle } from '../bed/cluster';
import type {} from '../bed/facts';
import { TEST_IMAGES } from '../bed/images';
import { signalProcess } from '../bed/processes';
import { useCluster } from '../bed/use-cluster';

// Issue 4, failover from the client side: the first master in every list (the CLI's and the
// agents') is frozen with SIGSTOP. Its kernel still accepts TCP connections, but nothing
// answers them: the CLI must give it up after its connect timeout and answer through the
// other master, and the agents on it must move to the other master before their nodes'
// leases run out, so that nothing is rescheduled. Then it wakes up, and nothing changes.

const bed = inject('bed');
let frozen: MasterHandle | undefined;

const c = useCluster(bed, { name: 'frozen-master', etcdMembers: 3, masters: 2 }, {
  // Wake the frozen master before the teardown: each of the teardown's CLI calls would first
  // spend the connect timeout on it, and a stopped process acts on SIGTERM only once continued.
  tearDown: async () => {
    if (frozen) signalProcess(frozen.proc, 'SIGCONT');
  },
});

function pod(name: string): string {
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

/** Pod uid, node and running container ids: what must not change when only a master freezes. */
async function podIdentity(cli: Cli, names: string[]): Promise<Record<string, { uid: string; node: string; containers: string[] }>> {
  const pods = itemsOf(await orchardOk(cli, ['get', 'pods', '-o', 'json']));
  const out: Record<string, { uid: string; node: string; containers: string[] }> = {};
  for (const name of names) {
    const p = pods.find((x) => x.metadata?.name === name);
    if (!p) throw new Error(`pod ${name} not found`);
    const node = String(p.spec?.nodeName ?? '');
    const containers = (await c().podContainers(c().node(node), name)).filter((x) => x.running).map((x) => x.id).sort();
    out[name] = { uid: String(p.metadata?.uid), node, containers };
  }
  return out;
}

/** Each agent's master connections (address and log time), from the agents' logs. */
function agentConnections(): Map<string, Array<{ master: string; time: number }>> {
  const out = new Map<string, Array<{ master: string; time: number }>>();
  for (const [node, proc] of c().agents) {
    const list: Array<{ master: string; time: number }> = [];
    for (const line of readFileSync(proc.logFile, 'utf8').split('\n')) {
      if (!line.includes('connected to master')) continue;
      try {
        const entry = JSON.parse(line) as { msg?: string; master?: string; time?: number };
        if (entry.msg === 'connected to master' && entry.master && entry.time) list.push({ master: entry.master, time: entry.time });
      } catch {
        // Not a log entry of the agent's own.
      }
    }
    out.set(node, list);
  }
  return out;
}

/** Lines of a master's log written since `offset`. */
function logSince(m: MasterHandle, offset: number): string[] {
  return readFileSync(m.proc.logFile, 'utf8').slice(offset).split('\n').filter(Boolean);
}

const steady = ['fm-a', 'fm-b', 'fm-c'];

describe('the first master in every list frozen with SIGSTOP', () => {
  it('the CLI answers and applies through the other master, agents move within seconds, nothing is rescheduled; after SIGCONT all is consistent', async () => {
    const [first, other] = c().masters as [MasterHandle, MasterHandle];
    // The lists every client was given start with the master to freeze.
    expect(c().server.split(',')[0]).toBe(first.address);
    const all = c().cli;
    const viaOther = cliFor(other.address);

    for (const name of steady) {
      const r = await all(['apply', '-f', '-'], { input: pod(name) });
      expect(r.code, describeResult(['apply'], r)).toBe(0);
    }
    for (const name of steady) await c().waitPodPhase(name, 'Running', 30_000);
    const before = await podIdentity(all, steady);
    for (const name of steady) expect(before[name]!.containers.length, `running containers of ${name}`).toBeGreaterThanOrEqual(1);
    // Agents try the list in order: they are all on the first master.
    await waitFor('every agent on the first master', () => [...agentConnections().values()].every((l) => l.at(-1)?.master === first.address), { timeoutMs: 10_000, intervalMs: 200 });

    const otherLogAt = statSync(other.proc.logFile).size;
    const frozenAt = Date.now();
    frozen = first;
    signalProcess(first.proc, 'SIGSTOP');
    try {
      // A read through the full list: the frozen master is given up after the connect
      // timeout (3 s by default), not the 30 s request timeout.
      let t = Date.now();
      const got = await all(['get', 'pods', '-o', 'name'], { timeoutMs: 40_000 });
      const getMs = Date.now() - t;
      process.stderr.write(`[frozen-master] orchard get pods with ${first.name} frozen: exit ${got.code} after ${getMs} ms\n`);
      expect(got.code, describeResult(['get', 'pods'], got)).toBe(0);
      for (const name of steady) expect(got.stdout).toContain(`pod/${name}`);
      expect(getMs, 'answered within a few seconds').toBeLessThan(8_000);

      // A write: nothing reached the frozen master (no connection), so it goes to the other.
      t = Date.now();
      const applied = await all(['apply', '-f', '-'], { input: pod('fm-during'), timeoutMs: 40_000 });
      const applyMs = Date.now() - t;
      process.stderr.write(`[frozen-master] orchard apply with ${first.name} frozen: exit ${applied.code} after ${applyMs} ms\n`);
      expect(applied.code, describeResult(['apply'], applied)).toBe(0);
      expect(applied.stdout).toContain('pod/fm-during created');
      expect(applyMs, 'applied within a few seconds').toBeLessThan(8_000);

      // Every agent is on the other master, within seconds of the freeze.
      const moved = await waitFor('every agent to connect to the other master', () => {
        const now = agentConnections();
        const times: number[] = [];
        for (const list of now.values()) {
          const last = list.at(-1);
          if (!last || last.master !== other.address || last.time < frozenAt) return undefined;
          times.push(last.time - frozenAt);
        }
        return times;
      }, { timeoutMs: 20_000, intervalMs: 100 });
      process.stderr.write(`[frozen-master] agents on ${other.name} after ${moved.join(', ')} ms\n`);
      // Before their nodes' leases (the 4 s grace period) could run out.
      for (const ms of moved) expect(ms, 'an agent moved within seconds').toBeLessThan(4_000);

      // If the first master led, the other takes over; either way the new pod runs.
      const during = await waitFor('fm-during to run', async () => {
        const p = itemsOf(await orchardOk(viaOther, ['get', 'pods', '-o', 'json'])).find((x) => x.metadata?.name === 'fm-during');
        return p?.status?.phase === 'Running' ? p : undefined;
      }, { timeoutMs: 30_000, intervalMs: 200 });
      expect(String(during.spec?.nodeName)).toMatch(/^pi\d+$/);

      // Longer than grace period + eviction timeout: an eviction would have happened by now.
      await sleep(Math.max(0, frozenAt + 9_000 - Date.now()));
      expect(await podIdentity(viaOther, steady)).toEqual(before);
      const otherLog = logSince(other, otherLogAt);
      expect(otherLog.filter((l) => /pod evicted|Ready=Unknown/.test(l)), 'no node went silent, no pod was evicted').toEqual([]);
    } finally {
      signalProcess(first.proc, 'SIGCONT');
      frozen = undefined;
    }

    // Awake again: its stale node streams end, and it must not take a node's liveness with
    // them. Wait past grace period + eviction timeout, then check that nothing moved.
    const firstLogAt = statSync(first.proc.logFile).size;
    await sleep(9_000);
    await c().waitNodesReady();
    expect(await podIdentity(all, steady)).toEqual(before);
    const woke = [...logSince(first, firstLogAt), ...logSince(other, otherLogAt)];
    expect(woke.filter((l) => /pod evicted|Ready=Unknown/.test(l)), 'no node went silent, no pod was evicted').toEqual([]);
    const masters = JSON.parse(await orchardOk(all, ['get', 'masters', '-o', 'json'])) as Array<{ name: string; leader: boolean }>;
    expect(masters.map((m) => m.name).sort()).toEqual(['m1', 'm2']);
    expect(masters.filter((m) => m.leader)).toHaveLength(1);
    // Both masters serve again: a pod applied through the first one runs.
    const r = await cliFor(first.address)(['apply', '-f', '-'], { input: pod('fm-after') });
    expect(r.code, describeResult(['apply'], r)).toBe(0);
    await c().waitPodPhase('fm-after', 'Running', 30_000);
  });
});
