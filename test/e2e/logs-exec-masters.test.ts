import { expect, inject, it } from 'vitest';
import { orchard, orchardOk } from '../bed/cli';
import type {} from '../bed/facts';
import { TEST_IMAGES } from '../bed/images';
import { useCluster } from '../bed/use-cluster';

// Issue 3, logs and exec with several masters: a session is served by the master that
// holds the node's stream. Any other master says which one does, and the CLI, given
// every master, goes on to it, whatever order the addresses come in.

const bed = inject('bed');
const node = bed.nodes[0]!;
const c = useCluster(bed, { name: 'logs-exec-masters', nodes: [node], masters: 2 });

const POD = `
apiVersion: v1
kind: Pod
metadata:
  name: hello
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: ${TEST_IMAGES.busybox}
      imagePullPolicy: IfNotPresent
      command: ["sh", "-c", "echo hello from the pod; exec sleep 3600"]
`;

it('logs and exec work through whichever master the CLI reaches first', async () => {
  await orchardOk(c().cli, ['apply', '-f', c().manifestFile('hello.yaml', POD)]);
  await c().waitPodPhase('hello', 'Running', 30_000);
  const [m1, m2] = c().masters;
  const answers = [];
  for (const m of [m1!, m2!]) answers.push({ master: m, r: await orchard(m.address, ['logs', 'hello']) });
  // Exactly one master holds the node's stream; the other names the masters to retry.
  const served = answers.filter((a) => a.r.code === 0);
  expect(served.map((a) => a.r.stdout), answers.map((a) => `${a.master.name}: ${a.r.stderr}`).join('\n')).toEqual(['hello from the pod\n']);
  const refused = answers.find((a) => a.r.code !== 0)!;
  const holder = served[0]!.master;
  expect(refused.r.stderr).toContain(`error: node ${node.name} is not connected to master ${refused.master.name}; it may be connected to master ${holder.name} (${holder.address}): retry against it`);

  for (const order of [[m1!, m2!], [m2!, m1!]]) {
    const servers = order.map((m) => m.address).join(',');
    const logs = await orchard(servers, ['logs', 'hello']);
    expect(logs.stdout, `logs via ${servers}: ${logs.stderr}`).toBe('hello from the pod\n');
    const ex = await orchard(servers, ['exec', 'hello', '--', 'sh', '-c', 'echo ran; exit 4']);
    expect([ex.code, ex.stdout], `exec via ${servers}: ${ex.stderr}`).toEqual([4, 'ran\n']);
  }
});
