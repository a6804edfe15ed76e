import { readFileSync, statSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { cliFor, describeResult, itemsOf, orchardOk, parseTable, sleep, waitFor, type Cli } from '../bed/cli';
import type { MasterHandle } from '../bed/cluster';
import { restartMember, stopMember } from '../bed/etcd';
import type {} from '../bed/facts';
import { TEST_IMAGES } from '../bed/images';
import { signalProcess } from '../bed/processes';
import { useCluster } from '../bed/use-cluster';

// Issue 4, high availability: three masters on a three-member etcd cluster, agents on the
// three simulated nodes given every master's address. The leading master dies, etcd loses a
// member, then its quorum, and a leader is frozen past its lease: users keep working (or get
// a clear "unavailable" while there is no quorum) and nothing is scheduled twice.

const bed = inject('bed');
const c = useCluster(bed, { name: 'ha', etcdMembers: 3, masters: 3 }, {
  // Wake any master left frozen before the teardown: each of the teardown's CLI calls would
  // first spend the connect timeout on it, and a stopped process acts on SIGTERM only once continued.
  tearDown: async (cluster) => {
    for (const m of cluster?.masters ?? []) signalProcess(m.proc, 'SIGCONT');
  },
});

function pod(name: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels:
    app: ha
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${TEST_IMAGES.busybox}
      imagePullPolicy: IfNotPresent
      command: ["sleep", "3600"]
`;
}

interface MasterRow {
  name: string;
  address: string;
  version: string;
  leader: boolean;
}

async function masters(cli: Cli = c().cli): Promise<MasterRow[]> {
  return JSON.parse(await orchardOk(cli, ['get', 'masters', '-o', 'json'])) as MasterRow[];
}

/** The leading master as `orchard get masters` reports it, once exactly one leads. */
async function leader(cli: Cli = c().cli, timeoutMs = 15_000, other?: MasterHandle): Promise<MasterHandle> {
  const name = await waitFor(other ? `a master other than ${other.name} to lead` : 'exactly one leading master', async () => {
    const leaders = (await masters(cli)).filter((m) => m.leader);
    return leaders.length === 1 && leaders[0]!.name !== other?.name ? leaders[0]!.name : undefined;
  }, { timeoutMs, intervalMs: 100 });
  const m = c().masters.find((x) => x.name === name);
  if (!m) throw new Error(`leader ${name} is not one of this cluster's masters`);
  return m;
}

/** A CLI that knows only the other masters (a frozen one would cost each call the connect timeout before failover). */
function cliWithout(excluded: MasterHandle): Cli {
  return cliFor(c().masters.filter((m) => m !== excluded).map((m) => m.address).join(','));
}

async function apply(name: string, cli: Cli = c().cli): Promise<void> {
  const r = await cli(['apply', '-f', '-'], { input: pod(name) });
  expect(r.code, describeResult(['apply', '-f', '-'], r)).toBe(0);
}

/** Pod uid, node and container ids: what must not change when only the control plane fails. */
async function podIdentity(names: string[]): Promise<Record<string, { uid: string; node: string; containers: string[] }>> {
  const out: Record<string, { uid: string; node: string; containers: string[] }> = {};
  for (const name of names) {
    const p = await c().getPod(name);
    if (!p) throw new Error(`pod ${name} not found`);
    const node = String(p.spec?.nodeName ?? '');
    const containers = (await c().podContainers(c().node(node), name)).filter((x) => x.running).map((x) => x.id).sort();
    out[name] = { uid: String(p.metadata?.uid), node, containers };
  }
  return out;
}

/** The masters each agent connected to, in order (from the agents' logs). */
function agentConnections(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [node, proc] of c().agents) {
    const addresses: string[] = [];
    for (const line of readFileSync(proc.logFile, 'utf8').split('\n')) {
      if (!line.includes('connected to master')) continue;
      try {
        const entry = JSON.parse(line) as { msg?: string; master?: string };
        if (entry.msg === 'connected to master' && entry.master) addresses.push(entry.master);
      } catch {
        // Not a log entry of the agent's own (a stray line): ignore.
      }
    }
    out.set(node, addresses);
  }
  return out;
}

const steady = ['ha-a', 'ha-b', 'ha-c'];

describe('three masters on a three-member etcd cluster', () => {
  it('orchard get masters shows all three, exactly one of them leading', async () => {
    const list = await waitFor('three masters registered', async () => {
      const l = await masters();
      return l.length === 3 ? l : undefined;
    }, { timeoutMs: 15_000 });
    expect(list.map((m) => m.name).sort()).toEqual(['m1', 'm2', 'm3']);
    expect(list.map((m) => m.address).sort()).toEqual(c().masters.map((m) => m.address).sort());
    expect(list.filter((m) => m.leader)).toHaveLength(1);
    for (const m of list) expect(m.version, `version of ${m.name}`).toMatch(/\d+\.\d+\.\d+/);

    const table = parseTable(await orchardOk(c().cli, ['get', 'masters']));
    expect(table.map((r) => r.NAME).sort()).toEqual(['m1', 'm2', 'm3']);
    expect(table.filter((r) => r.LEADER === 'true')).toHaveLength(1);
  });

  it('a SIGKILLed leader is replaced within seconds; agents reconnect and nothing is rescheduled', async () => {
    for (const name of steady) await apply(name);
    for (const name of steady) await c().waitPodPhase(name, 'Running', 30_000);
    const before = await podIdentity(steady);
    for (const name of steady) expect(before[name]!.containers.length, `running containers of ${name}`).toBeGreaterThanOrEqual(1);

    const old = await leader();
    const connectionsBefore = agentConnections();
    const killedAt = Date.now();
    await c().stopMaster(old.name, 'SIGKILL');
    const next = await leader(c().cli, 15_000, old);
    const tookMs = Date.now() - killedAt;
    process.stderr.write(`[ha] ${old.name} killed; ${next.name} leads after ${tookMs} ms\n`);
    expect(next.name).not.toBe(old.name);
    expect(tookMs, 'a new leader within seconds').toBeLessThan(10_000);

    // Every agent that was on the dead master is now on another one.
    await waitFor('agents of the dead master to connect to another', () => {
      const now = agentConnections();
      for (const [node, before] of connectionsBefore) {
        const after = now.get(node) ?? [];
        const wasOnDead = before.at(-1) === old.address;
        if (wasOnDead && (after.length <= before.length || after.at(-1) === old.address)) return false;
      }
      return true;
    }, { timeoutMs: 20_000, intervalMs: 200 });
    await c().waitNodesReady();

    // Longer than the node grace period: a node lifecycle mistake would show by now.
    await sleep(6000);
    await c().waitNodesReady();
    expect(await podIdentity(steady)).toEqual(before);

    await apply('ha-after-kill');
    const p = await c().waitPodPhase('ha-after-kill', 'Running', 30_000);
    expect(String(p.spec?.nodeName)).toMatch(/^pi\d+$/);

    // Three masters again for what follows.
    await c().startMaster(Number(old.name.slice(1)));
    await waitFor('the restarted master to register', async () => (await masters()).length === 3, { timeoutMs: 15_000 });
  });

  it('losing one etcd member changes nothing for users', async () => {
    const member = c().etcd.members[0]!;
    await stopMember(member, 'SIGKILL');
    await apply('ha-one-member-down');
    await c().waitPodPhase('ha-one-member-down', 'Running', 30_000);
    expect(Object.keys(await podIdentity([...steady, 'ha-after-kill', 'ha-one-member-down']))).toHaveLength(5);
  });

  it('without quorum the CLI answers "unavailable" quickly and writes nothing; with quorum back everything resumes', async () => {
    const before = await podIdentity([...steady, 'ha-after-kill']);
    const [first, second] = c().etcd.members;
    // The first member is already down (previous case); stopping a second loses quorum.
    await stopMember(second!, 'SIGKILL');
    expect(first!.proc?.exit, 'the first member is still down').toBeDefined();

    for (const args of [['apply', '-f', '-'], ['get', 'pods']]) {
      const t0 = Date.now();
      const r = await c().cli(args, { input: pod('ha-no-quorum'), timeoutMs: 60_000 });
      const ms = Date.now() - t0;
      const what = describeResult(args, r);
      process.stderr.write(`[ha] without quorum: orchard ${args.join(' ')} -> exit ${r.code} after ${ms} ms\n`);
      expect(r.code, what).toBe(1);
      expect(r.stderr, what).toMatch(/etcd is unavailable/);
      expect(ms, `${what}\nno hang: answered in ${ms} ms`).toBeLessThan(15_000);
    }

    for (const m of c().masters) expect(m.proc.exit, `master ${m.name} keeps running without quorum`).toBeUndefined();

    await Promise.all([restartMember(c().etcd, first!), restartMember(c().etcd, second!)]);
    // The API answers again (the masters' etcd clients find the members back).
    await waitFor('the API to answer again', async () => (await c().cli(['get', 'pods'])).code === 0, { timeoutMs: 30_000, intervalMs: 200 });
    // No partial write: the apply refused without quorum left nothing behind.
    expect(await c().getPod('ha-no-quorum')).toBeUndefined();
    expect(await podIdentity([...steady, 'ha-after-kill'])).toEqual(before);
    await apply('ha-quorum-back');
    await c().waitPodPhase('ha-quorum-back', 'Running', 30_000);
  });

  it('a leader frozen past its lease binds nothing once it wakes up', async () => {
    const frozen = await leader();
    const others = cliWithout(frozen);
    signalProcess(frozen.proc, 'SIGSTOP');
    const logSizeAtStop = statSync(frozen.proc.logFile).size;
    try {
      const next = await leader(others, 15_000, frozen);
      expect(next.name).not.toBe(frozen.name);
      // Pods created while the old leader is frozen: its pod watch delivers them the moment
      // it wakes, before it may notice that it lost the lease.
      const names = ['ha-frozen-1', 'ha-frozen-2', 'ha-frozen-3'];
      for (const name of names) await apply(name, others);
      const bound = new Map<string, string>();
      for (const name of names) {
        const p = await waitFor(`${name} to be bound by ${next.name}`, async () => {
          const r = itemsOf(await orchardOk(others, ['get', 'pods', '-o', 'json'])).find((x) => x.metadata?.name === name);
          return r?.spec?.nodeName ? r : undefined;
        }, { timeoutMs: 20_000, intervalMs: 100 });
        bound.set(name, `${p.spec.nodeName}@${p.metadata.uid}`);
      }
      signalProcess(frozen.proc, 'SIGCONT');
      await sleep(3000);
      const woke = readFileSync(frozen.proc.logFile, 'utf8').slice(logSizeAtStop);
      const boundByOld = woke.split('\n').filter((l) => /"msg":"pods? bound"/.test(l));
      expect(boundByOld, `the woken master's log:\n${woke}`).toEqual([]);
      expect(woke).toMatch(/"msg":"no longer the leader"/);
      for (const name of names) {
        const p = await c().getPod(name);
        expect(`${p?.spec?.nodeName}@${p?.metadata?.uid}`, `${name} keeps its binding`).toBe(bound.get(name));
      }
      expect((await masters(others)).filter((m) => m.leader).map((m) => m.name)).toEqual([next.name]);
    } finally {
      signalProcess(frozen.proc, 'SIGCONT');
    }
  });
});
