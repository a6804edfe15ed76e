import { expect, inject, it } from 'vitest';
import { describeResult, sleep, waitFor } from '../bed/cli';
import type { ContainerInfo } from '../bed/docker';
import type {} from '../bed/facts';
import { TEST_IMAGES } from '../bed/images';
import { useCluster } from '../bed/use-cluster';

// Issue 2: stopping the master (SIGTERM) leaves running containers alone; when it is back
// the agent reconnects and the pods are still the same.

const bed = inject('bed');
const node = bed.nodes[1] ?? bed.nodes[0];
const c = useCluster(bed, { name: 'master-stop', nodes: [node] });

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: steady
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${TEST_IMAGES.busybox}
      command: ["sleep", "3600"]
`;

function fingerprint(cs: ContainerInfo[]) {
  return cs.map((x) => ({ id: x.id, startedAt: x.startedAt, running: x.running, restartCount: x.restartCount })).sort((a, b) => a.id.localeCompare(b.id));
}

it('stopping the master leaves running containers alone', async () => {
  const r = await c().cli(['apply', '-f', '-'], { input: POD });
  expect(r.code, describeResult(['apply', '-f', '-'], r)).toBe(0);
  await c().waitPodPhase('steady', 'Running', 20_000);
  const before = fingerprint(await c().podContainers(node, 'steady'));
  expect(before.length).toBeGreaterThanOrEqual(1);
  expect(before.every((x) => x.running)).toBe(true);

  const master = c().masters[0];
  await c().stopMaster(master.name, 'SIGTERM');
  process.stderr.write(`[master-stop] master exited with ${JSON.stringify(master.proc.exit)}\n`);
  // Longer than a few heartbeat intervals and reconnect attempts of the agent.
  await sleep(6000);
  expect(fingerprint(await c().podContainers(node, 'steady'))).toEqual(before);
  const agent = c().agents.get(node.name)!;
  expect(agent.exit, 'the agent must keep running without its master').toBeUndefined();
  const down = await c().cli(['get', 'pods'], { timeoutMs: 20_000 });
  const downWhat = describeResult(['get', 'pods'], down);
  // Fails at once (not killed by our timeout), saying which master it could not reach.
  expect(down.code, downWhat).toBeGreaterThan(0);
  expect(down.stderr, downWhat).toContain(master.address);

  await c().startMaster(1);
  await c().waitNodesReady([node]);
  await c().waitPodPhase('steady', 'Running', 10_000);
  expect(fingerprint(await c().podContainers(node, 'steady'))).toEqual(before);

  const del = await c().cli(['delete', 'pod', 'steady']);
  expect(del.code, describeResult(['delete', 'pod', 'steady'], del)).toBe(0);
  await waitFor('the containers of steady to be removed', async () => (await c().podContainers(node, 'steady')).length === 0, { timeoutMs: 30_000 });
});
