import { expect, inject, it } from 'vitest';
import { describeResult, waitFor } from '../bed/cli';
import { POD_NAME_LABEL } from '../bed/cluster';
import type {} from '../bed/facts';
import { TEST_IMAGES } from '../bed/images';
import { useCluster } from '../bed/use-cluster';

// Issue 4: drain moves a node's pods elsewhere and leaves it cordoned; uncordon, label and
// taint round trips in kubectl's words; a NoSchedule taint keeps a new pod off the node.

const bed = inject('bed');
const c = useCluster(bed, { name: 'drain' }, {
  // Leave the nodes as found for the next file: schedulable, no taints or labels of ours.
  tearDown: async (cluster) => {
    for (const n of bed.nodes) {
      await cluster?.cli(['uncordon', n.name]).catch(() => undefined);
      await cluster?.cli(['taint', 'nodes', n.name, 'dedicated-']).catch(() => undefined);
      await cluster?.cli(['label', 'nodes', n.name, 'disk-', 'only-']).catch(() => undefined);
    }
  },
});

function pod(name: string, nodeSelector?: Record<string, string>): string {
  const sel = nodeSelector ? `  nodeSelector:\n${Object.entries(nodeSelector).map(([k, v]) => `    ${k}: "${v}"\n`).join('')}` : '';
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 1
${sel}  containers:
    - name: main
      image: ${TEST_IMAGES.busybox}
      imagePullPolicy: IfNotPresent
      command: ["sleep", "3600"]
`;
}

async function ok(args: string[], input?: string): Promise<string> {
  const r = await c().cli(args, input === undefined ? undefined : { input });
  expect(r.code, describeResult(args, r)).toBe(0);
  return r.stdout;
}

async function fails(args: string[]): Promise<string> {
  const r = await c().cli(args);
  expect(r.code, describeResult(args, r)).not.toBe(0);
  // Node's own warnings (a deprecation of the TLS library, say) are not the CLI's words.
  return r.stderr
    .split('\n')
    .filter((l) => !/^\(node:\d+\) |^\(Use `node --trace/.test(l))
    .join('\n');
}

async function nodesOfPods(): Promise<Map<string, string>> {
  const list = JSON.parse(await ok(['get', 'pods', '-o', 'json'])).items as Array<Record<string, any>>;
  return new Map(list.map((p) => [String(p.metadata.name), String(p.spec?.nodeName ?? '')]));
}

async function nodeStatusColumn(name: string): Promise<string> {
  const out = await ok(['get', 'nodes', name, '--no-headers']);
  return out.trim().split(/\s+/)[1] ?? '';
}

it('drain moves the pods elsewhere and leaves the node cordoned; uncordon lets pods back', async () => {
  const names = ['d-0', 'd-1', 'd-2', 'd-3'];
  await ok(['apply', '-f', '-'], names.map((n) => pod(n)).join('---\n'));
  for (const n of names) await c().waitPodPhase(n, 'Running', 30_000);
  const before = await nodesOfPods();
  const counts = new Map<string, number>();
  for (const n of names) counts.set(before.get(n)!, (counts.get(before.get(n)!) ?? 0) + 1);
  const target = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  const onTarget = names.filter((n) => before.get(n) === target);

  // Bare pods: refused without --force, in kubectl's words; the node is cordoned anyway.
  const refused = await c().cli(['drain', target]);
  expect(refused.code, describeResult(['drain', target], refused)).toBe(1);
  expect(refused.stdout).toBe(`node/${target} cordoned\n`);
  expect(refused.stderr).toContain(`error: unable to drain node "${target}" due to error: cannot delete Pods that declare no controller (use --force to override): `);
  for (const n of onTarget) expect(refused.stderr).toContain(`default/${n}`);
  expect(await nodeStatusColumn(target)).toBe('Ready,SchedulingDisabled');
  expect(await nodesOfPods()).toEqual(before);

  const out = await ok(['drain', target, '--force', '--grace-period', '1', '--timeout', '60s']);
  expect(out).toContain(`node/${target} already cordoned\n`);
  for (const n of onTarget) expect(out).toContain(`pod/${n} evicted\n`);
  expect(out.endsWith(`node/${target} drained\n`)).toBe(true);

  for (const n of names) await c().waitPodPhase(n, 'Running', 30_000);
  const after = await nodesOfPods();
  expect([...after.keys()].sort()).toEqual(names);
  for (const n of names) expect(after.get(n)).not.toBe(target);
  for (const n of names.filter((x) => !onTarget.includes(x))) expect(after.get(n)).toBe(before.get(n));
  await waitFor(`no orchard containers left on ${target}`, async () => (await c().orchardContainers(c().node(target))).length === 0, { timeoutMs: 20_000 });
  expect(await nodeStatusColumn(target)).toBe('Ready,SchedulingDisabled');

  // A cordoned node takes no new pod.
  await ok(['apply', '-f', '-'], pod('late'));
  await c().waitPodPhase('late', 'Running', 30_000);
  expect((await nodesOfPods()).get('late')).not.toBe(target);

  expect(await ok(['uncordon', target])).toBe(`node/${target} uncordoned\n`);
  expect(await ok(['uncordon', target])).toBe(`node/${target} already uncordoned\n`);
  expect(await nodeStatusColumn(target)).toBe('Ready');
  // Schedulable again: a pod that may only go there runs there.
  await ok(['label', 'nodes', target, 'only=here']);
  await ok(['apply', '-f', '-'], pod('back', { only: 'here' }));
  await c().waitPodPhase('back', 'Running', 30_000);
  expect((await nodesOfPods()).get('back')).toBe(target);
  expect((await c().podContainers(c().node(target), 'back')).some((x) => x.labels[POD_NAME_LABEL] === 'back' && x.running)).toBe(true);
});

it("label and taint round trips in kubectl's words; a NoSchedule taint keeps a new pod off", async () => {
  const node = bed.nodes[0]!.name;
  expect(await ok(['label', 'nodes', node, 'disk=ssd'])).toBe(`node/${node} labeled\n`);
  expect((await ok(['get', 'nodes', '-l', 'disk=ssd', '-o', 'name'])).trim()).toBe(`node/${node}`);
  expect(await fails(['label', 'nodes', node, 'disk=hdd'])).toBe("error: 'disk' already has a value (ssd), and --overwrite is false\n");
  expect(await ok(['label', 'nodes', node, 'disk=hdd', '--overwrite'])).toBe(`node/${node} labeled\n`);
  expect(JSON.parse(await ok(['get', 'nodes', node, '-o', 'json'])).metadata.labels.disk).toBe('hdd');
  expect(await ok(['label', 'nodes', node, 'disk-'])).toBe(`node/${node} unlabeled\n`);
  expect(JSON.parse(await ok(['get', 'nodes', node, '-o', 'json'])).metadata.labels.disk).toBeUndefined();

  expect(await ok(['taint', 'nodes', node, 'dedicated=db:NoSchedule'])).toBe(`node/${node} tainted\n`);
  expect(await fails(['taint', 'nodes', node, 'dedicated=web:NoSchedule'])).toBe(
    `error: node ${node} already has dedicated taint(s) with same effect(s) and --overwrite is false\n`,
  );
  expect(JSON.parse(await ok(['get', 'nodes', node, '-o', 'json'])).spec.taints).toEqual([{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);

  // The only node the pod may use is tainted: it stays Pending, with the exact reason.
  await ok(['label', 'nodes', node, 'only=taint-test', '--overwrite']);
  await ok(['apply', '-f', '-'], pod('kept-off', { only: 'taint-test' }));
  const msg = `0/3 nodes are available: 2 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {dedicated: db}.`;
  await waitFor(
    'kept-off to be unschedulable',
    async () => {
      const p = await c().getPod('kept-off');
      const cond = (p?.status?.conditions ?? []).find((x: any) => x.type === 'PodScheduled');
      return cond?.status === 'False' && cond.message === msg;
    },
    { timeoutMs: 15_000, intervalMs: 200 },
  );
  expect((await c().getPod('kept-off'))?.spec?.nodeName ?? '').toBe('');

  expect(await ok(['taint', 'nodes', node, 'dedicated:NoSchedule-'])).toBe(`node/${node} untainted\n`);
  await c().waitPodPhase('kept-off', 'Running', 30_000);
  expect((await c().getPod('kept-off'))?.spec?.nodeName).toBe(node);
  expect(await fails(['taint', 'nodes', node, 'dedicated-'])).toBe('error: taint "dedicated" not found\n');
});
