import { expect, inject, it } from 'vitest';
import { describeResult, waitFor } from '../bed/cli';
import { POD_NAME_LABEL } from '../bed/cluster';
import type {} from '../bed/facts';
import { TEST_IMAGES } from '../bed/images';
import { cutLink, restoreLink, type SimNode } from '../bed/netns-node';
import { waitExit } from '../bed/processes';
import { useCluster } from '../bed/use-cluster';

// Issue 4: a node powered off (link cut, agent SIGKILLed) has its pods running on the
// other nodes within seconds; once it returns, its stale copies are removed and every
// pod exists once. A pod the user pinned to the node (spec.nodeName) stays with it.

const bed = inject('bed');
let cut: SimNode | undefined;

const c = useCluster(
  bed,
  { name: 'node-failure', masterArgs: ['--node-grace-period', '4s', '--pod-eviction-timeout', '3s'] },
  {
    // Whatever happened, the node's cable goes back in before the next file.
    tearDown: async () => {
      if (cut) await restoreLink(cut).catch(() => undefined);
    },
  },
);

function pod(name: string, nodeName?: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels:
    app: spread
spec:
  terminationGracePeriodSeconds: 1
${nodeName ? `  nodeName: ${nodeName}\n` : ''}  containers:
    - name: main
      image: ${TEST_IMAGES.busybox}
      imagePullPolicy: IfNotPresent
      command: ["sleep", "3600"]
`;
}

async function apply(text: string): Promise<void> {
  const r = await c().cli(['apply', '-f', '-'], { input: text });
  expect(r.code, describeResult(['apply', '-f', '-'], r)).toBe(0);
}

/** name -> { node, uid, phase } of every listed pod; fails on a duplicate name. */
async function podTable(): Promise<Map<string, { node: string; uid: string; phase: string }>> {
  const r = await c().cli(['get', 'pods', '-o', 'json']);
  expect(r.code, describeResult(['get', 'pods', '-o', 'json'], r)).toBe(0);
  const items = (JSON.parse(r.stdout).items ?? []) as Array<Record<string, any>>;
  const out = new Map<string, { node: string; uid: string; phase: string }>();
  for (const p of items) {
    const name = String(p.metadata.name);
    expect(out.has(name), `pod ${name} listed twice`).toBe(false);
    out.set(name, { node: String(p.spec?.nodeName ?? ''), uid: String(p.metadata.uid), phase: String(p.status?.phase ?? '') });
  }
  return out;
}

it('a powered-off node: its pods run elsewhere within seconds; on return its stale copies go', async () => {
  const names = Array.from({ length: 6 }, (_, i) => `spread-${i}`);
  await apply(names.map((n) => pod(n)).join('---\n'));
  for (const n of names) await c().waitPodPhase(n, 'Running', 30_000);
  const before = await podTable();
  // The node with the most pods is the one that dies (the scheduler spreads them).
  const counts = new Map<string, number>();
  for (const n of names) counts.set(before.get(n)!.node, (counts.get(before.get(n)!.node) ?? 0) + 1);
  const victimName = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  const victim = c().node(victimName);
  const moved = names.filter((n) => before.get(n)!.node === victimName);
  expect(moved.length).toBeGreaterThan(0);
  // A pod the user placed on the victim by hand belongs there: it is not moved.
  await apply(pod('pinned', victimName));
  await c().waitPodPhase('pinned', 'Running', 30_000);
  for (const n of moved) expect((await c().podContainers(victim, n)).some((x) => x.running)).toBe(true);

  // Power off: the cable out, the agent killed. Its containers keep running on its dockerd,
  // as they would on a board that only lost its network.
  cut = victim;
  const t0 = Date.now();
  await cutLink(victim);
  const agent = c().agents.get(victimName)!;
  await c().stopAgent(victim, 'SIGKILL');
  expect((await waitExit(agent)).signal).toBe('SIGKILL');

  await waitFor(
    `the pods of ${victimName} (${moved.join(', ')}) to run on other nodes`,
    async () => {
      const t = await podTable();
      return moved.every((n) => {
        const p = t.get(n);
        return p && p.node !== '' && p.node !== victimName && p.phase === 'Running' && p.uid !== before.get(n)!.uid;
      });
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  const recoveredMs = Date.now() - t0;
  process.stderr.write(`[node-failure] ${moved.length} pod(s) of ${victimName} running elsewhere ${(recoveredMs / 1000).toFixed(1)} s after power-off\n`);
  // 4 s grace + 3 s toleration + scheduling and start, with room for a loaded machine.
  expect(recoveredMs).toBeLessThan(20_000);

  const during = await podTable();
  expect(during.get('pinned')?.node).toBe(victimName);
  const nodes = await c().cli(['get', 'nodes', victimName, '-o', 'json']);
  expect(nodes.code, describeResult(['get', 'nodes', victimName, '-o', 'json'], nodes)).toBe(0);
  const node = JSON.parse(nodes.stdout);
  expect((node.spec?.taints ?? []).map((t: any) => `${t.key}:${t.effect}`)).toContain('node.kubernetes.io/unreachable:NoExecute');
  expect((node.status?.conditions ?? []).find((x: any) => x.type === 'Ready')?.status).toBe('Unknown');
  // The stale copies still run on the cut-off node: nothing can reach it.
  expect((await c().podContainers(victim, moved[0]!)).some((x) => x.running)).toBe(true);

  // Power back on: cable in, agent started. The agent is sent only the pods bound to it
  // (by uid), so it removes the stale copies; the taint goes with Ready=True.
  await restoreLink(victim);
  cut = undefined;
  c().startAgent(victim);
  await c().waitNodesReady([victim]);
  await waitFor(
    `the stale containers of ${moved.join(', ')} to go from ${victimName}`,
    async () => {
      const left = (await c().orchardContainers(victim)).filter((x) => moved.includes(x.labels[POD_NAME_LABEL] ?? ''));
      return left.length === 0;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  await waitFor(
    `the unreachable taint to leave ${victimName}`,
    async () => {
      const r = await c().cli(['get', 'nodes', victimName, '-o', 'json']);
      return r.code === 0 && !(JSON.parse(r.stdout).spec?.taints ?? []).some((t: any) => t.key === 'node.kubernetes.io/unreachable');
    },
    { timeoutMs: 15_000, intervalMs: 200 },
  );

  // Every pod once, each moved pod still where it was moved to, the pinned one back home.
  const after = await podTable();
  expect([...after.keys()].sort()).toEqual([...names, 'pinned'].sort());
  for (const n of moved) expect(after.get(n)).toEqual({ ...during.get(n)!, phase: 'Running' });
  await c().waitPodPhase('pinned', 'Running', 15_000);
  for (const n of moved) {
    const where = after.get(n)!.node;
    expect((await c().podContainers(c().node(where), n)).filter((x) => x.running).length).toBeGreaterThanOrEqual(1);
  }
  // No orchard container of a moved pod anywhere but on its new node.
  for (const other of c().nodes) {
    const here = (await c().orchardContainers(other)).filter((x) => moved.includes(x.labels[POD_NAME_LABEL] ?? ''));
    for (const x of here) expect(after.get(x.labels[POD_NAME_LABEL]!)!.node).toBe(other.name);
  }
});
