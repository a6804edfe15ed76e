import { expect, inject, it } from 'vitest';
import { describeResult, waitFor } from '../bed/cli';
import type { ContainerInfo } from '../bed/docker';
import type {} from '../bed/facts';
import { waitExit } from '../bed/processes';
import { useCluster } from '../bed/use-cluster';
import { sleeperPod } from '../bed/manifests';

// Issue 2: an agent killed with SIGKILL and started again adopts its running containers
// (same container, never restarted), and removes the containers of a pod deleted while it
// was down. One node, so both pods land on it.

const bed = inject('bed');
const node = bed.nodes[0];
const c = useCluster(bed, { name: 'agent-restart', nodes: [node] });

const pod = sleeperPod;

/** Id, start time and restart count of every container of a pod, sorted by id. */
function fingerprint(cs: ContainerInfo[]) {
  return cs.map((x) => ({ id: x.id, startedAt: x.startedAt, running: x.running, restartCount: x.restartCount })).sort((a, b) => a.id.localeCompare(b.id));
}

it('a SIGKILLed agent restarts without restarting containers and cleans up pods deleted meanwhile', async () => {
  for (const name of ['keeper', 'goner']) {
    const r = await c().cli(['apply', '-f', '-'], { input: pod(name) });
    expect(r.code, describeResult(['apply', '-f', '-'], r)).toBe(0);
  }
  await c().waitPodPhase('keeper', 'Running', 20_000);
  await c().waitPodPhase('goner', 'Running', 20_000);
  const keeperBefore = fingerprint(await c().podContainers(node, 'keeper'));
  expect(keeperBefore.length).toBeGreaterThanOrEqual(1);
  expect(keeperBefore.every((x) => x.running)).toBe(true);
  expect((await c().podContainers(node, 'goner')).some((x) => x.running)).toBe(true);

  const agent = c().agents.get(node.name)!;
  await c().stopAgent(node, 'SIGKILL');
  expect((await waitExit(agent)).signal).toBe('SIGKILL');
  // With the agent gone nothing touches the containers.
  expect(fingerprint(await c().podContainers(node, 'keeper'))).toEqual(keeperBefore);

  // Like kubectl, delete waits for the pod to be gone unless told not to; with the agent
  // down it cannot be gone yet.
  const delArgs = ['delete', 'pod', 'goner', '--wait=false'];
  const del = await c().cli(delArgs);
  expect(del.code, describeResult(delArgs, del)).toBe(0);
  // The deletion waits for the node: the container is still there while its agent is down.
  expect((await c().podContainers(node, 'goner')).length).toBeGreaterThanOrEqual(1);

  c().startAgent(node);
  await c().waitNodesReady([node]);
  await waitFor('the containers of goner to be removed by the restarted agent', async () => (await c().podContainers(node, 'goner')).length === 0, { timeoutMs: 30_000 });
  await waitFor('pod goner to disappear from the API', async () => (await c().getPod('goner')) === undefined, { timeoutMs: 20_000 });

  // The agent has reconciled (it removed goner); keeper must be the very same containers.
  expect(fingerprint(await c().podContainers(node, 'keeper'))).toEqual(keeperBefore);
  const keeper = await c().waitPodPhase('keeper', 'Running', 10_000);
  const restarts = (keeper.status?.containerStatuses ?? []).map((s: any) => Number(s.restartCount ?? 0));
  expect(restarts).toEqual([0]);
});
