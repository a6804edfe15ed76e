import { describe, expect, inject, it } from 'vitest';
import { describeResult, itemsOf, orchardOk, parseTable, waitFor } from '../bed/cli';
import type {} from '../bed/facts';
import { restartNodeDockerd, type DockerdStop } from '../bed/netns-node';
import { useCluster } from '../bed/use-cluster';
import { sleeperPod } from '../bed/manifests';

// Issue 3 (restarts of Docker) and issue 4 (node readiness): the dockerd of a node is
// restarted under its running pods — stopped cleanly, then killed with SIGKILL. While the
// engine does not answer the agent reports the node NotReady (ContainerRuntimeUnhealthy)
// and the master taints it not-ready; when it answers again the node is Ready, the taints
// are gone, and the agent (still the same process) has brought the same pods back
// Running, their restarts counted, each container once.

const bed = inject('bed');
const node = bed.nodes[0];
// One node: when every node is not ready nothing is evicted, so the pods stay bound to
// it and must come back there.
const c = useCluster(bed, { name: 'docker-restart', nodes: [node] });

const PODS = ['web', 'worker'];

const pod = sleeperPod;

interface NodeView {
  status: string;
  ready?: Record<string, any>;
  taints: string[];
}

async function nodeView(): Promise<NodeView> {
  const table = parseTable(await orchardOk(c().cli, ['get', 'nodes']));
  const row = table.find((r) => r.NAME === node.name);
  const obj = itemsOf(await orchardOk(c().cli, ['get', 'nodes', '-o', 'json'])).find((o) => o.metadata?.name === node.name);
  return {
    status: row?.STATUS ?? '',
    ready: (obj?.status?.conditions ?? []).find((x: any) => x.type === 'Ready'),
    taints: (obj?.spec?.taints ?? []).map((t: any) => `${t.key}:${t.effect}`),
  };
}

async function restartCounts(): Promise<Record<string, number>> {
  const items = itemsOf(await orchardOk(c().cli, ['get', 'pods', '-o', 'json']));
  return Object.fromEntries(items.map((p) => [p.metadata?.name, Number(p.status?.containerStatuses?.[0]?.restartCount ?? 0)]));
}

it('runs the pods', async () => {
  for (const name of PODS) {
    const r = await c().cli(['apply', '-f', '-'], { input: pod(name) });
    expect(r.code, describeResult(['apply', '-f', '-'], r)).toBe(0);
  }
  for (const name of PODS) await c().waitPodPhase(name, 'Running', 30_000);
});

describe.each<{ how: DockerdStop }>([{ how: 'clean' }, { how: 'SIGKILL' }])('dockerd restarted ($how)', ({ how }) => {
  it('makes the node NotReady and tainted while the engine is down, Ready again after, and brings the same pods back', async () => {
    const agent = c().agents.get(node.name)!;
    const uids = Object.fromEntries(await Promise.all(PODS.map(async (n) => [n, String((await c().getPod(n))?.metadata?.uid)] as const)));
    const before = await restartCounts();

    // The engine stays away 6 s after it went down: long enough to see the node NotReady.
    const restarted = restartNodeDockerd(node, how, 6_000);
    const down = await waitFor(`${node.name} to be reported NotReady`, async () => {
      const v = await nodeView();
      return v.status === 'NotReady' && v.taints.includes('node.kubernetes.io/not-ready:NoSchedule') ? v : undefined;
    }, { timeoutMs: 40_000, intervalMs: 250 });
    expect(down.ready).toMatchObject({ status: 'False', reason: 'ContainerRuntimeUnhealthy' });
    expect(down.ready?.message).toContain(`Docker engine is not answering on ${node.socket}`);
    expect(down.taints).toEqual(expect.arrayContaining(['node.kubernetes.io/not-ready:NoSchedule', 'node.kubernetes.io/not-ready:NoExecute']));
    const startedAt = Date.now();
    await restarted;

    const up = await waitFor(`${node.name} to be Ready again`, async () => {
      const v = await nodeView();
      return v.status === 'Ready' && !v.taints.some((t) => t.startsWith('node.kubernetes.io/not-ready')) ? v : undefined;
    }, { timeoutMs: 30_000, intervalMs: 250 });
    expect(up.ready).toMatchObject({ status: 'True' });

    // The same pods (names and uids), Running, each restart counted.
    const counts = await waitFor('the pods to run again with their restarts counted', async () => {
      const items = itemsOf(await orchardOk(c().cli, ['get', 'pods', '-o', 'json']));
      const ok = PODS.every((n) => {
        const p = items.find((x) => x.metadata?.name === n);
        return p?.status?.phase === 'Running' && p.status?.containerStatuses?.[0]?.ready && Number(p.status.containerStatuses[0].restartCount) > before[n]!;
      });
      return ok ? items : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    process.stderr.write(`[docker-restart] ${how}: pods Running again ${Date.now() - startedAt} ms after dockerd answered\n`);
    expect(counts.map((p) => p.metadata?.name).sort()).toEqual([...PODS].sort());
    for (const p of counts) expect(p.metadata?.uid, `${p.metadata?.name} uid`).toBe(uids[p.metadata?.name]);

    // Each container once: an infra and a main container running per pod, nothing else of Orchard's.
    for (const n of PODS) {
      const running = (await c().podContainers(node, n)).filter((x) => x.running);
      expect(running.map((x) => x.labels['io.orchard.container.name']).sort(), `${n}: running containers`).toEqual(['POD', 'main']);
    }
    expect((await c().orchardContainers(node)).filter((x) => x.running)).toHaveLength(2 * PODS.length);
    // The agent rode it out: the same process.
    expect(agent.exit, 'agent exit').toBeUndefined();
    expect(c().agents.get(node.name)).toBe(agent);
  }, 180_000);
});
