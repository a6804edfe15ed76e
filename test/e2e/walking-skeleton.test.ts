import { describe, expect, inject, it } from 'vitest';
import { describeResult, itemsOf, orchardOk, parseTable, waitFor } from '../bed/cli';
import { dockerOk } from '../bed/docker';
import type {} from '../bed/facts';
import { TEST_IMAGES } from '../bed/images';
import { inNode, nodeEngine, type SimNode } from '../bed/netns-node';
import { useCluster } from '../bed/use-cluster';

// Issue 2, walking skeleton: a Kubernetes Pod manifest becomes a running Docker container on
// a simulated Pi node, is visible through the CLI with its node and IP, serves traffic on
// its pod IP, and goes away with `orchard delete pod`.

const bed = inject('bed');
const c = useCluster(bed, { name: 'walking-skeleton' });

const WEB_POD = `
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  terminationGracePeriodSeconds: 2
  containers:
    - name: httpd
      image: ${TEST_IMAGES.busybox}
      imagePullPolicy: IfNotPresent
      command: ["sh", "-c"]
      args:
        - echo "$GREETING from $POD_HOST" > /www/index.html && exec httpd -f -p 8080 -h /www
      env:
        - name: GREETING
          value: hello-orchard
        - name: POD_HOST
          value: web
      ports:
        - containerPort: 8080
      resources:
        limits:
          cpu: 250m
          memory: 64Mi
`;

function nodeByName(name: string): SimNode {
  const n = bed.nodes.find((x) => x.name === name);
  if (!n) throw new Error(`pod scheduled to "${name}", which is not one of the simulated nodes ${bed.nodes.map((x) => x.name).join(', ')}`);
  return n;
}

describe('nodes', () => {
  it('every simulated node registered with its inventory', async () => {
    const out = await orchardOk(c().cli, ['get', 'nodes', '-o', 'json']);
    const nodes = itemsOf(out);
    expect(nodes.map((n) => n.metadata?.name).sort()).toEqual(bed.nodes.map((n) => n.name).sort());
    for (const n of nodes) {
      const info = n.status?.nodeInfo ?? {};
      expect(info.architecture, `${n.metadata.name} architecture`).toMatch(/^(amd64|arm64|arm)$/);
      expect(info.kernelVersion, `${n.metadata.name} kernel`).toBeTruthy();
      expect(info.operatingSystem, `${n.metadata.name} operatingSystem`).toBe('linux');
      expect(info.osImage, `${n.metadata.name} osImage`).toBeTruthy();
      expect(Number.parseInt(String(n.status?.capacity?.cpu ?? '0'), 10), `${n.metadata.name} cpu capacity`).toBeGreaterThan(0);
      expect(String(n.status?.capacity?.memory ?? ''), `${n.metadata.name} memory capacity`).not.toBe('');
    }
    const table = parseTable(await orchardOk(c().cli, ['get', 'nodes']));
    expect(table.map((r) => r.NAME).sort()).toEqual(bed.nodes.map((n) => n.name).sort());
    for (const row of table) expect(row.STATUS, `node ${row.NAME}`).toBe('Ready');
  });
});

describe('a pod from Kubernetes YAML', () => {
  let node: SimNode;
  let podIP = '';

  it('is applied and runs on a simulated node within seconds', async () => {
    const file = c().manifestFile('web.yaml', WEB_POD);
    const started = Date.now();
    const applied = await c().cli(['apply', '-f', file]);
    expect(applied.code, describeResult(['apply', '-f', file], applied)).toBe(0);
    expect(applied.stdout).toMatch(/web/);
    const pod = await c().waitPodPhase('web', 'Running', 20_000);
    process.stderr.write(`[walking-skeleton] pod web Running ${Date.now() - started} ms after apply\n`);
    node = nodeByName(String(pod.spec?.nodeName));
  });

  it('shows Running with its node and pod IP in get pods -o wide', async () => {
    // The IP column, as a user reads it; it must fill in within moments of Running.
    const row = await waitFor('get pods -o wide to show the IP of pod web', async () => {
      const out = await orchardOk(c().cli, ['get', 'pods', '-o', 'wide']);
      const header = out.split('\n')[0].trim().split(/\s{2,}/);
      expect(header.slice(0, 7)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE']);
      const r = parseTable(out).find((x) => x.NAME === 'web');
      if (!r) throw new Error(`no row for web in:\n${out}`);
      return r.IP && r.IP !== '<none>' ? r : undefined;
    }, { timeoutMs: 10_000, intervalMs: 200 });
    expect(row.STATUS).toBe('Running');
    expect(row.READY).toBe('1/1');
    expect(row.RESTARTS).toBe('0');
    expect(row.NODE).toBe(node.name);
    podIP = row.IP;
    expect(podIP.split('.').slice(0, 3).join('.') + '.0/24', `pod IP ${podIP} in ${node.name}'s pod subnet`).toBe(node.podSubnet);

    const plain = await orchardOk(c().cli, ['get', 'pods']);
    expect(plain.split('\n')[0].trim().split(/\s{2,}/)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    // kubectl's kind spellings: singular, plural and short, with a name.
    for (const kind of ['pod', 'pods', 'po']) {
      const one = parseTable(await orchardOk(c().cli, ['get', kind, 'web']));
      expect(one.map((r) => r.NAME), `get ${kind} web`).toEqual(['web']);
    }
    const described = await orchardOk(c().cli, ['describe', 'pod', 'web']);
    expect(described).toContain(node.name);
    expect(described).toContain(podIP);
    expect(described).toMatch(/Status:\s+Running/);
  });

  it('prints the full object with Kubernetes field names in -o json and -o yaml', async () => {
    const pod = itemsOf(await orchardOk(c().cli, ['get', 'pod', 'web', '-o', 'json']))[0];
    expect(pod.apiVersion).toBe('v1');
    expect(pod.kind).toBe('Pod');
    expect(pod.metadata?.uid).toBeTruthy();
    expect(pod.spec?.nodeName).toBe(node.name);
    expect(pod.status?.phase).toBe('Running');
    // Kubernetes spells these podIP, hostIP, containerID (not podIp, hostIp, containerId).
    expect(pod.status?.podIP, `status of ${JSON.stringify(pod.status)}`).toBe(podIP);
    expect(pod.status?.hostIP).toBe(node.address);
    const app = (await c().podContainers(node, 'web')).find((x) => x.labels['io.orchard.container.name'] === 'httpd');
    const status = (pod.status?.containerStatuses ?? []).find((s: any) => s.name === 'httpd');
    expect(String(status?.containerID ?? ''), `containerStatuses[httpd] ${JSON.stringify(status)}`).toBe(`docker://${app?.id}`);
    expect(status?.state?.running?.startedAt).toBeTruthy();
    const yaml = await orchardOk(c().cli, ['get', 'pod', 'web', '-o', 'yaml']);
    expect(yaml).toMatch(/^ {2}phase: Running$/m);
    expect(yaml).toMatch(new RegExp(`^ {2}podIP: ${podIP.replace(/\./g, '\\.')}$`, 'm'));
  });

  it('runs as a labelled Docker container on that node only, with its limits', async () => {
    const containers = await c().podContainers(node, 'web');
    const app = containers.filter((x) => x.labels['io.orchard.container.name'] === 'httpd');
    expect(app, JSON.stringify(containers, null, 1)).toHaveLength(1);
    expect(app[0].running).toBe(true);
    expect(app[0].image).toBe(TEST_IMAGES.busybox);
    expect(app[0].labels['io.orchard.pod.namespace']).toBe('default');
    expect(app[0].labels['io.orchard.node']).toBe(node.name);
    const pod = await c().getPod('web');
    expect(app[0].labels['io.orchard.pod.uid']).toBe(pod?.metadata?.uid);

    const hostConfig = JSON.parse(await dockerOk(nodeEngine(node), ['inspect', '--format', '{{json .HostConfig}}', app[0].id]));
    expect(hostConfig.Memory, 'memory limit 64Mi').toBe(64 * 1024 * 1024);
    const cpus = hostConfig.NanoCpus ? hostConfig.NanoCpus / 1e9 : hostConfig.CpuQuota / (hostConfig.CpuPeriod || 100_000);
    expect(cpus, 'cpu limit 250m').toBeCloseTo(0.25, 3);

    for (const other of bed.nodes.filter((n) => n.name !== node.name)) {
      expect(await c().podContainers(other, 'web'), `containers of pod web on ${other.name}`).toEqual([]);
    }
  });

  it('serves on its pod IP, from the host (via the node route) and from another node', async () => {
    expect(podIP, 'pod IP from get pods -o wide').not.toBe('');
    const body = await waitFor('the pod to answer on its IP', async () => {
      const res = await fetch(`http://${podIP}:8080/`, { signal: AbortSignal.timeout(2000) });
      return res.ok ? res.text() : undefined;
    }, { timeoutMs: 10_000 });
    expect(body.trim()).toBe('hello-orchard from web');
    const other = bed.nodes.find((n) => n.name !== node.name);
    if (other) {
      const r = await inNode(other, ['busybox', 'wget', '-O', '-', `http://${podIP}:8080/`]);
      expect(r.stdout.trim(), r.stderr).toBe('hello-orchard from web');
    }
  });

  it('is removed, container and all, by orchard delete pod', async () => {
    const r = await c().cli(['delete', 'pod', 'web']);
    expect(r.code, describeResult(['delete', 'pod', 'web'], r)).toBe(0);
    await waitFor('the containers of pod web to be removed', async () => (await c().podContainers(node, 'web')).length === 0, { timeoutMs: 40_000 });
    await waitFor('pod web to disappear from the API', async () => (await c().getPod('web')) === undefined, { timeoutMs: 20_000 });
    const ps = await dockerOk(nodeEngine(node), ['ps', '-a', '--filter', 'label=io.orchard.pod.name=web', '--format', '{{.ID}}']);
    expect(ps.trim()).toBe('');
  });

  it('is then reported as not found, as kubectl words it', async () => {
    for (const args of [['get', 'pod', 'web'], ['get', 'pod', 'web', '-o', 'json'], ['get', 'pods', 'web', '-o', 'yaml'], ['describe', 'pod', 'web'], ['delete', 'pod', 'web']]) {
      const r = await c().cli(args);
      expect(r.code, describeResult(args, r)).toBe(1);
      expect(r.stderr, describeResult(args, r)).toMatch(/pods? "web" not found/);
    }
  });
});

describe('multi-document manifests', () => {
  const TWO_PODS = ['one', 'two']
    .map(
      (name) => `apiVersion: v1
kind: Pod
metadata:
  name: sleeper-${name}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${TEST_IMAGES.busybox}
      imagePullPolicy: Never
      command: ["sleep", "3600"]
      resources:
        requests:
          cpu: 10m
          memory: 8Mi
`,
    )
    .join('---\n');

  it('apply -f - reads every document from stdin; delete -f FILE removes them all', async () => {
    const applied = await c().cli(['apply', '-f', '-'], { input: TWO_PODS });
    expect(applied.code, describeResult(['apply', '-f', '-'], applied)).toBe(0);
    const pods = await Promise.all(['sleeper-one', 'sleeper-two'].map((n) => c().waitPodPhase(n, 'Running', 20_000)));
    for (const p of pods) {
      const n = nodeByName(String(p.spec?.nodeName));
      const running = (await c().podContainers(n, String(p.metadata?.name))).filter((x) => x.running);
      expect(running.length, `running containers of ${p.metadata?.name} on ${n.name}`).toBeGreaterThanOrEqual(1);
    }
    const file = c().manifestFile('sleepers.yaml', TWO_PODS);
    const deleted = await c().cli(['delete', '-f', file]);
    expect(deleted.code, describeResult(['delete', '-f', file], deleted)).toBe(0);
    for (const p of pods) {
      const n = nodeByName(String(p.spec?.nodeName));
      await waitFor(`containers of ${p.metadata?.name} to go`, async () => (await c().podContainers(n, String(p.metadata?.name))).length === 0, { timeoutMs: 30_000 });
    }
    await waitFor('both pods to disappear from the API', async () => {
      const list = itemsOf(await orchardOk(c().cli, ['get', 'pods', '-o', 'json']));
      return list.every((p) => !String(p.metadata?.name).startsWith('sleeper-'));
    }, { timeoutMs: 20_000 });
  });
});

describe('ports', () => {
  it('a hostPort is published on the node\'s LAN address', async () => {
    const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: published
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: httpd
      image: ${TEST_IMAGES.busybox}
      command: ["sh", "-c", "echo published > /www/index.html && exec httpd -f -p 80 -h /www"]
      ports:
        - containerPort: 80
          hostPort: 18080
          protocol: TCP
`;
    const r = await c().cli(['apply', '-f', '-'], { input: manifest });
    expect(r.code, describeResult(['apply', '-f', '-'], r)).toBe(0);
    const pod = await c().waitPodPhase('published', 'Running', 20_000);
    const node = nodeByName(String(pod.spec?.nodeName));
    const body = await waitFor(`http://${node.address}:18080/`, async () => {
      const res = await fetch(`http://${node.address}:18080/`, { signal: AbortSignal.timeout(2000) });
      return res.ok ? res.text() : undefined;
    }, { timeoutMs: 10_000 });
    expect(body.trim()).toBe('published');
    const d = await c().cli(['delete', 'pod', 'published']);
    expect(d.code, describeResult(['delete', 'pod', 'published'], d)).toBe(0);
    await waitFor('the containers of published to go', async () => (await c().podContainers(node, 'published')).length === 0, { timeoutMs: 30_000 });
  });
});

describe('phases', () => {
  const job = (name: string, exitCode: number) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
    - name: main
      image: ${TEST_IMAGES.busybox}
      command: ["sh", "-c", "sleep 1; exit ${exitCode}"]
`;

  it('a container that exits 0 under restartPolicy Never makes the pod Succeeded, exit 3 Failed', async () => {
    const r = await c().cli(['apply', '-f', '-'], { input: `${job('job-ok', 0)}---\n${job('job-bad', 3)}` });
    expect(r.code, describeResult(['apply', '-f', '-'], r)).toBe(0);
    const ok = await c().waitPodPhase('job-ok', 'Succeeded', 30_000);
    const bad = await c().waitPodPhase('job-bad', 'Failed', 30_000);
    const term = (p: Record<string, any>) => (p.status?.containerStatuses ?? [])[0]?.state?.terminated;
    expect(term(ok)?.exitCode ?? 0, JSON.stringify(ok.status)).toBe(0);
    expect(term(bad)?.exitCode, JSON.stringify(bad.status)).toBe(3);
    const table = parseTable(await orchardOk(c().cli, ['get', 'pods']));
    expect(table.find((x) => x.NAME === 'job-ok')?.STATUS).toBe('Completed');
    expect(table.find((x) => x.NAME === 'job-bad')?.STATUS).toBe('Error');
    // Not restarted: the one container ran once.
    const node = nodeByName(String(bad.spec?.nodeName));
    const app = (await c().podContainers(node, 'job-bad')).filter((x) => x.labels['io.orchard.container.name'] === 'main');
    expect(app.map((x) => x.restartCount)).toEqual([0]);
    const d = await c().cli(['delete', 'pods', 'job-ok', 'job-bad']);
    expect(d.code, describeResult(['delete', 'pods', 'job-ok', 'job-bad'], d)).toBe(0);
  });
});

describe('scheduling', () => {
  it('leaves a pod that fits no node Pending, with no container anywhere', async () => {
    const huge = `apiVersion: v1
kind: Pod
metadata:
  name: too-big
spec:
  containers:
    - name: main
      image: ${TEST_IMAGES.busybox}
      command: ["sleep", "3600"]
      resources:
        requests:
          memory: 4Ti
`;
    const applied = await c().cli(['apply', '-f', '-'], { input: huge });
    expect(applied.code, describeResult(['apply', '-f', '-'], applied)).toBe(0);
    // Give the scheduler time to (wrongly) place it: several scheduling rounds.
    await new Promise((r) => setTimeout(r, 3000));
    const pod = await c().getPod('too-big');
    expect(pod?.status?.phase ?? 'Pending').toBe('Pending');
    expect(pod?.spec?.nodeName ?? '').toBe('');
    for (const n of bed.nodes) expect(await c().podContainers(n, 'too-big'), n.name).toEqual([]);
    const del = await c().cli(['delete', 'pod', 'too-big']);
    expect(del.code, describeResult(['delete', 'pod', 'too-big'], del)).toBe(0);
    await waitFor('unscheduled pod too-big to be deleted at once', async () => (await c().getPod('too-big')) === undefined, { timeoutMs: 10_000 });
    expect(await c().getPod('too-big')).toBeUndefined();
  });
});
