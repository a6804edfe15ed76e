import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { describeResult, itemsOf, sleep, waitFor } from '../bed/cli';
import { docker, dockerOk, dockerShellWords, hostEngine } from '../bed/docker';
import { sh } from '../bed/exec';
import type {} from '../bed/facts';
import { TEST_IMAGES } from '../bed/images';
import { nodeEngine } from '../bed/netns-node';
import { useCluster } from '../bed/use-cluster';

// Issue 4: every scheduler filter and score end to end, through the CLI, on three simulated
// nodes sharing one cluster: nodeName, node affinity (required and preferred), cordoned
// nodes, host ports, CPU architecture, pod anti-affinity, topology spread, taints with
// PreferNoSchedule, least- and most-allocated, selector spread and thermal headroom; the
// PodScheduled=False message in Kubernetes' words, and a pending pod scheduled when the
// cluster changes, without a retry loop.

const bed = inject('bed');
/** Fake sysfs/procfs trees the agents read Pi health from (--pi-health-root), one per node. */
const healthRoots = path.join(os.tmpdir(), `orchard-pi-health-${process.pid}`);
/** A test image that says it is for arm64 (the simulated nodes are amd64). */
const ARM64_IMAGE = 'orchard-test/arm64-only:1';
/** Label on every pod of this file, so one selector deletes them. */
const SUITE = 'suite=scheduler';

const names = bed.nodes.map((n) => n.name);
const [N0, N1, N2] = names as [string, string, string];

// Before the cluster starts: the agents report their images and health when they connect.
beforeAll(async () => {
  for (const n of names) mkdirSync(path.join(healthRoots, n), { recursive: true });
  await loadArm64Image();
}, 120_000);

const c = useCluster(
  bed,
  { name: 'scheduler', agentArgs: (node) => ['--pi-health-root', path.join(healthRoots, node.name)] },
  {
    cleanUp: async () => {
      for (const n of bed.nodes) await docker(nodeEngine(n), ['rmi', ARM64_IMAGE]).catch(() => undefined);
      rmSync(healthRoots, { recursive: true, force: true });
    },
  },
);

/** What a case changed on the nodes, undone after it (labels, taints, cordons). */
const undo: string[][] = [];

afterEach(async () => {
  // Force: the objects go at once, so the next case starts from empty nodes (the agents
  // remove the containers in the background).
  const d = await c().cli(['delete', 'pods', '-l', SUITE, '--force', '--grace-period', '0', '--wait=false']);
  expect(d.code, describeResult(['delete', 'pods'], d)).toBe(0);
  // Independent of each other (one label, taint or cordon each): undone together.
  await Promise.all(undo.splice(0).map((args) => c().cli(args)));
  await waitFor('the pods of the case to be gone', async () => podsOf(await listPods()).length === 0, { timeoutMs: 10_000, intervalMs: 100 });
});

async function ok(args: string[], input?: string): Promise<string> {
  const r = await c().cli(args, input === undefined ? undefined : { input });
  expect(r.code, describeResult(args, r)).toBe(0);
  return r.stdout;
}

async function label(node: string, key: string, value: string): Promise<void> {
  await ok(['label', 'nodes', node, `${key}=${value}`, '--overwrite']);
  undo.push(['label', 'nodes', node, `${key}-`]);
}

async function taint(node: string, key: string, value: string, effect: string): Promise<void> {
  await ok(['taint', 'nodes', node, `${key}=${value}:${effect}`]);
  undo.push(['taint', 'nodes', node, `${key}-`]);
}

async function cordon(node: string): Promise<void> {
  await ok(['cordon', node]);
  undo.push(['uncordon', node]);
}

interface PodOptions {
  labels?: Record<string, string>;
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: Record<string, unknown>;
  topologySpreadConstraints?: Array<Record<string, unknown>>;
  hostPort?: number;
  image?: string;
  schedulerName?: string;
}

/** A small busybox pod of this suite, as a manifest (JSON is YAML). */
function pod(name: string, o: PodOptions = {}): string {
  const spec: Record<string, unknown> = {
    terminationGracePeriodSeconds: 0,
    containers: [
      {
        name: 'main',
        image: o.image ?? TEST_IMAGES.busybox,
        imagePullPolicy: 'IfNotPresent',
        command: ['sleep', '3600'],
        ...(o.hostPort ? { ports: [{ containerPort: 8080, hostPort: o.hostPort }] } : {}),
      },
    ],
  };
  if (o.nodeName) spec.nodeName = o.nodeName;
  if (o.nodeSelector) spec.nodeSelector = o.nodeSelector;
  if (o.affinity) spec.affinity = o.affinity;
  if (o.topologySpreadConstraints) spec.topologySpreadConstraints = o.topologySpreadConstraints;
  if (o.schedulerName) spec.schedulerName = o.schedulerName;
  const [k, v] = SUITE.split('=') as [string, string];
  return JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { [k]: v, ...(o.labels ?? {}) } }, spec });
}

async function apply(...manifests: string[]): Promise<void> {
  await ok(['apply', '-f', '-'], manifests.join('\n---\n'));
}

async function listPods(): Promise<Array<Record<string, any>>> {
  return itemsOf(await ok(['get', 'pods', '-o', 'json']));
}

function podsOf(list: Array<Record<string, any>>): Array<Record<string, any>> {
  return list.filter((p) => p.metadata?.labels?.suite === 'scheduler');
}

/** Waits until every named pod is bound; returns pod name -> node. */
async function waitBound(podNames: string[], timeoutMs = 20_000): Promise<Map<string, string>> {
  return waitFor(`${podNames.join(', ')} to be scheduled`, async () => {
    const byName = new Map((await listPods()).map((p) => [String(p.metadata.name), String(p.spec?.nodeName ?? '')]));
    const unbound = podNames.filter((n) => !byName.get(n));
    if (unbound.length) throw new Error(`not yet bound: ${unbound.join(', ')}`);
    return new Map(podNames.map((n) => [n, byName.get(n)!]));
  }, { timeoutMs, intervalMs: 150 });
}

function scheduledCondition(p: Record<string, any> | undefined): Record<string, any> | undefined {
  return (p?.status?.conditions ?? []).find((x: any) => x.type === 'PodScheduled');
}

/** Waits until the pod is Pending with PodScheduled=False and exactly this message; returns the pod. */
async function waitUnschedulable(name: string, message: string): Promise<Record<string, any>> {
  return waitFor(`${name} to be unschedulable with "${message}"`, async () => {
    const p = await c().getPod(name);
    const cond = scheduledCondition(p);
    if (cond?.status !== 'False' || cond.message !== message) throw new Error(`PodScheduled ${JSON.stringify(cond)}`);
    expect(cond.reason).toBe('Unschedulable');
    expect(p?.spec?.nodeName ?? '').toBe('');
    expect(p?.status?.phase).toBe('Pending');
    return p!;
  }, { timeoutMs: 15_000, intervalMs: 150 });
}

function count(placements: Map<string, string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const node of placements.values()) out.set(node, (out.get(node) ?? 0) + 1);
  return out;
}

/** CPU seconds the process has used (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Lines of the leader's log with this message for this pod. */
function masterLogLines(msg: string, podName: string): number {
  return readFileSync(c().masters[0]!.proc.logFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes(`"msg":"${msg}"`) && l.includes(`"pod":"default/${podName}"`)).length;
}

/**
 * Loads an image made for linux/arm64 into every simulated node: the busybox test image with
 * its config saying arm64 (Debian's engine ignores `docker import --platform` without
 * experimental mode). Nothing is pulled: the image exists only on the nodes, as an image a
 * user built on another machine and loaded would.
 */
async function loadArm64Image(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orchard-arm64-image-'));
  try {
    await sh(`${dockerShellWords(hostEngine)} save '${TEST_IMAGES.busybox}' | tar -C '${dir}' -x`);
    const manifestFile = path.join(dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Array<{ Config: string; RepoTags: string[] }>;
    const configFile = path.join(dir, manifest[0]!.Config);
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    config.architecture = 'arm64';
    writeFileSync(configFile, JSON.stringify(config));
    manifest[0]!.RepoTags = [ARM64_IMAGE];
    writeFileSync(manifestFile, JSON.stringify(manifest));
    rmSync(path.join(dir, 'repositories'), { force: true });
    for (const n of bed.nodes) await sh(`tar -C '${dir}' -c . | ${dockerShellWords(nodeEngine(n))} load -q`);
    for (const n of bed.nodes) {
      expect((await dockerOk(nodeEngine(n), ['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', ARM64_IMAGE])).trim()).toBe('linux/arm64');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('filters', () => {
  it('nodeName: the pod runs on the node it names', async () => {
    await apply(pod('named', { nodeName: N2 }));
    expect((await waitBound(['named'])).get('named')).toBe(N2);
    const p = await c().waitPodPhase('named', 'Running', 30_000);
    expect(p.spec.nodeName).toBe(N2);
    expect((await c().podContainers(c().node(N2), 'named')).some((x) => x.running)).toBe(true);
  });

  it('node affinity required: In, NotIn, Exists, DoesNotExist, Gt, Lt on labels set with orchard label; a label added schedules a pending pod', async () => {
    await label(N0, 'sched-tier', 'gold');
    await label(N0, 'sched-cores', '4');
    await label(N1, 'sched-tier', 'silver');
    await label(N1, 'sched-cores', '8');
    const required = (...matchExpressions: Array<Record<string, unknown>>) => ({
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions }] } },
    });
    const cases: Array<[string, Record<string, unknown>, string[]]> = [
      ['aff-in', { key: 'sched-tier', operator: 'In', values: ['gold'] }, [N0]],
      ['aff-notin', { key: 'sched-tier', operator: 'NotIn', values: ['gold', 'silver'] }, [N2]],
      ['aff-dne', { key: 'sched-tier', operator: 'DoesNotExist' }, [N2]],
      ['aff-gt', { key: 'sched-cores', operator: 'Gt', values: ['6'] }, [N1]],
      ['aff-lt', { key: 'sched-cores', operator: 'Lt', values: ['6'] }, [N0]],
    ];
    // Exists: four replicas, none of which may land on the unlabelled node (least-allocated
    // alone would put at least one there).
    const exists = ['aff-ex-0', 'aff-ex-1', 'aff-ex-2', 'aff-ex-3'];
    await apply(
      ...cases.map(([name, expr]) => pod(name, { affinity: required(expr) })),
      ...exists.map((name) => pod(name, { affinity: required({ key: 'sched-tier', operator: 'Exists' }) })),
      pod('aff-none', { affinity: required({ key: 'sched-tier', operator: 'In', values: ['platinum'] }) }),
    );
    const placed = await waitBound([...cases.map(([n]) => n), ...exists]);
    for (const [name, , allowed] of cases) expect(allowed, `${name} on ${placed.get(name)}`).toContain(placed.get(name));
    for (const name of exists) expect([N0, N1], `${name} on ${placed.get(name)}`).toContain(placed.get(name));

    await waitUnschedulable('aff-none', "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.");
    const t0 = Date.now();
    await label(N2, 'sched-tier', 'platinum');
    expect((await waitBound(['aff-none'], 10_000)).get('aff-none')).toBe(N2);
    // Scheduled because the node changed, well before any periodic retry (30 s).
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('node affinity preferred: the heavier weight decides', async () => {
    await label(N0, 'sched-tier', 'gold');
    await label(N1, 'sched-tier', 'silver');
    const preferred = {
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 10, preference: { matchExpressions: [{ key: 'sched-tier', operator: 'In', values: ['gold'] }] } },
          { weight: 80, preference: { matchExpressions: [{ key: 'sched-tier', operator: 'In', values: ['silver'] }] } },
        ],
      },
    };
    const podNames = ['pref-0', 'pref-1', 'pref-2'];
    await apply(...podNames.map((n) => pod(n, { affinity: preferred })));
    const placed = await waitBound(podNames);
    for (const n of podNames) expect(placed.get(n), n).toBe(N1);
  });

  it('cordoned nodes take no pods; a pod pending on them is scheduled on uncordon, without a retry loop meanwhile', async () => {
    await cordon(N0);
    await cordon(N1);
    const podNames = ['cord-0', 'cord-1', 'cord-2'];
    await apply(...podNames.map((n) => pod(n)));
    const placed = await waitBound(podNames);
    for (const n of podNames) expect(placed.get(n), n).toBe(N2);

    await cordon(N2);
    await apply(pod('cord-wait'));
    const pending = await waitUnschedulable('cord-wait', '0/3 nodes are available: 3 node(s) were unschedulable.');
    // Parked, not retried: over 3 s the master burns little CPU, writes nothing to the pod
    // and logged the reason once.
    const pid = c().masters[0]!.proc.pid;
    const cpu0 = cpuSeconds(pid);
    await sleep(3_000);
    const cpu = cpuSeconds(pid) - cpu0;
    expect(cpu, `master CPU seconds over 3 s with a pod pending`).toBeLessThan(1);
    expect((await c().getPod('cord-wait'))?.metadata?.resourceVersion).toBe(pending.metadata.resourceVersion);
    expect(masterLogLines('pod unschedulable', 'cord-wait')).toBe(1);

    const t0 = Date.now();
    await ok(['uncordon', N1]);
    expect((await waitBound(['cord-wait'], 10_000)).get('cord-wait')).toBe(N1);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('host ports: never two on one node; the fourth waits with the exact message, shown by describe, and takes the port a deleted pod frees', async () => {
    const podNames = ['port-0', 'port-1', 'port-2'];
    await apply(...podNames.map((n) => pod(n, { hostPort: 31080 })));
    const placed = await waitBound(podNames);
    expect(new Set(placed.values()).size).toBe(3);

    await apply(pod('port-3', { hostPort: 31080 }));
    const message = "0/3 nodes are available: 3 node(s) didn't have free ports for the requested pod ports.";
    await waitUnschedulable('port-3', message);
    const described = await ok(['describe', 'pod', 'port-3']);
    expect(described).toMatch(/PodScheduled\s+False/);
    expect(described).toMatch(new RegExp(`Warning\\s+FailedScheduling\\s+default-scheduler\\s+${message.replace(/[.()/]/g, '\\$&')}\\n`));

    const freed = placed.get('port-1')!;
    await ok(['delete', 'pod', 'port-1', '--force', '--grace-period', '0']);
    expect((await waitBound(['port-3'], 10_000)).get('port-3')).toBe(freed);
  });

  it('architecture: an image made only for arm64 never lands on an amd64 node, and says why', async () => {
    // What the agents report: the locally made images with their platform.
    const nodes = itemsOf(await ok(['get', 'nodes', '-o', 'json']));
    for (const n of nodes) {
      expect(n.status.nodeInfo.architecture).toBe('amd64');
      const images = (n.status.images ?? []) as Array<{ names: string[]; platforms: string[] }>;
      expect(images.find((i) => i.names.includes(ARM64_IMAGE))?.platforms, n.metadata.name).toEqual(['linux/arm64']);
      expect(images.find((i) => i.names.includes(TEST_IMAGES.busybox))?.platforms, n.metadata.name).toEqual(['linux/amd64']);
    }
    await apply(pod('arch-arm', { image: ARM64_IMAGE }), pod('arch-sel', { nodeSelector: { 'kubernetes.io/arch': 'arm64' } }), pod('arch-amd', { nodeSelector: { 'kubernetes.io/arch': 'amd64' } }));
    await waitUnschedulable('arch-arm', "0/3 nodes are available: 3 node(s) didn't match the architecture of the pod's images.");
    await waitUnschedulable('arch-sel', "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.");
    await c().waitPodPhase('arch-amd', 'Running', 30_000);
    // No container of the arm64 pod was ever made on any node.
    for (const n of bed.nodes) expect(await c().podContainers(n, 'arch-arm')).toEqual([]);
  });

  it('pod anti-affinity required on the hostname: one replica per node, the fourth waits', async () => {
    const anti = {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'anti' } }, topologyKey: 'kubernetes.io/hostname' }],
      },
    };
    const podNames = ['anti-0', 'anti-1', 'anti-2', 'anti-3'];
    await apply(...podNames.map((n) => pod(n, { labels: { app: 'anti' }, affinity: anti })));
    const placed = await waitFor('three replicas bound and one waiting', async () => {
      const list = podsOf(await listPods());
      const bound = list.filter((p) => p.spec?.nodeName);
      if (bound.length !== 3) throw new Error(`${bound.length} bound`);
      return bound;
    }, { timeoutMs: 20_000, intervalMs: 150 });
    expect(new Set(placed.map((p) => p.spec.nodeName)).size).toBe(3);
    const waiting = podNames.find((n) => !placed.some((p) => p.metadata.name === n))!;
    await waitUnschedulable(waiting, "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules.");
  });

  it('topology spread maxSkew 1 on the hostname: DoNotSchedule waits, ScheduleAnyway goes; the wait ends when a taint is removed', async () => {
    // Two replicas already on N0 (placed by name), none elsewhere; the other nodes tainted.
    await apply(pod('ts-a', { labels: { app: 'ts' }, nodeName: N0 }), pod('ts-b', { labels: { app: 'ts' }, nodeName: N0 }));
    await taint(N1, 'sched-ts', 'yes', 'NoSchedule');
    await taint(N2, 'sched-ts', 'yes', 'NoSchedule');
    const spread = (whenUnsatisfiable: string) => [
      { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable, labelSelector: { matchLabels: { app: 'ts' } } },
    ];
    await apply(pod('ts-strict', { labels: { app: 'ts' }, topologySpreadConstraints: spread('DoNotSchedule') }));
    await waitUnschedulable(
      'ts-strict',
      "0/3 nodes are available: 1 node(s) didn't match pod topology spread constraints, 2 node(s) had untolerated taint {sched-ts: yes}.",
    );
    await apply(pod('ts-any', { labels: { app: 'ts' }, topologySpreadConstraints: spread('ScheduleAnyway') }));
    expect((await waitBound(['ts-any'])).get('ts-any')).toBe(N0);

    await ok(['taint', 'nodes', N1, 'sched-ts-']);
    expect((await waitBound(['ts-strict'], 10_000)).get('ts-strict')).toBe(N1);
  });

  it('topology spread DoNotSchedule spreads replicas evenly', async () => {
    const spread = [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'even' } } }];
    // Each replica with its own extra label, so SelectorSpread sees unrelated pods and only
    // the constraint spreads them.
    const podNames = ['even-0', 'even-1', 'even-2', 'even-3', 'even-4', 'even-5'];
    await apply(...podNames.map((n, i) => pod(n, { labels: { app: 'even', idx: String(i) }, topologySpreadConstraints: spread, schedulerName: 'bin-packing' })));
    const placed = await waitBound(podNames);
    // Bin-packing would put all six on one node; the constraint keeps them 2/2/2.
    expect([...count(placed).values()].sort()).toEqual([2, 2, 2]);
  });
});

describe('scores', () => {
  it('taints with PreferNoSchedule: pods avoid the tainted nodes while another fits', async () => {
    await taint(N0, 'sched-pref', 'yes', 'PreferNoSchedule');
    await taint(N1, 'sched-pref', 'yes', 'PreferNoSchedule');
    const podNames = ['pref-taint-0', 'pref-taint-1', 'pref-taint-2'];
    await apply(...podNames.map((n) => pod(n)));
    const placed = await waitBound(podNames);
    for (const n of podNames) expect(placed.get(n), n).toBe(N2);
  });

  it('least-allocated (the default profile) spreads pods over the nodes', async () => {
    const podNames = ['least-0', 'least-1', 'least-2', 'least-3', 'least-4', 'least-5'];
    // No labels in common beyond the suite's own: each pod its own workload for SelectorSpread.
    await apply(...podNames.map((n, i) => pod(n, { labels: { idx: String(i) } })));
    const placed = await waitBound(podNames);
    expect([...count(placed).values()].sort()).toEqual([2, 2, 2]);
  });

  it('most-allocated (schedulerName: bin-packing) packs pods onto one node', async () => {
    const podNames = ['pack-0', 'pack-1', 'pack-2', 'pack-3'];
    await apply(...podNames.map((n, i) => pod(n, { labels: { idx: String(i) }, schedulerName: 'bin-packing' })));
    const placed = await waitBound(podNames);
    expect(new Set(placed.values()).size).toBe(1);
  });

  it('selector spread: a new replica avoids the node running its workload, even when that node is the least loaded', async () => {
    // N0 runs one replica; N1 and N2 two unrelated pods each, so least-allocated prefers N0.
    await apply(
      pod('spread-0', { labels: { app: 'spread' }, nodeName: N0 }),
      pod('filler-1a', { labels: { idx: '1a' }, nodeName: N1 }),
      pod('filler-1b', { labels: { idx: '1b' }, nodeName: N1 }),
      pod('filler-2a', { labels: { idx: '2a' }, nodeName: N2 }),
      pod('filler-2b', { labels: { idx: '2b' }, nodeName: N2 }),
    );
    await waitBound(['spread-0', 'filler-1a', 'filler-1b', 'filler-2a', 'filler-2b']);
    await apply(pod('spread-1', { labels: { app: 'spread' } }));
    expect((await waitBound(['spread-1'])).get('spread-1')).not.toBe(N0);
    // Control: an unrelated pod goes where least-allocated sends it.
    await apply(pod('unrelated', { labels: { idx: 'u' } }));
    const unrelated = (await waitBound(['unrelated'])).get('unrelated');
    expect(unrelated).toBe(N0);
  });

  it('pod anti-affinity preferred: a replica avoids the node running another, even when that node is the least loaded', async () => {
    await apply(
      pod('pa-0', { labels: { app: 'pa', idx: '0' }, nodeName: N0 }),
      pod('filler-1a', { labels: { idx: '1a' }, nodeName: N1 }),
      pod('filler-1b', { labels: { idx: '1b' }, nodeName: N1 }),
      pod('filler-2a', { labels: { idx: '2a' }, nodeName: N2 }),
      pod('filler-2b', { labels: { idx: '2b' }, nodeName: N2 }),
    );
    await waitBound(['pa-0', 'filler-1a', 'filler-1b', 'filler-2a', 'filler-2b']);
    const anti = {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: 'pa' } }, topologyKey: 'kubernetes.io/hostname' } },
        ],
      },
    };
    // A label set of its own: SelectorSpread does not count pa-0 as the same workload.
    await apply(pod('pa-1', { labels: { app: 'pa', idx: '1' }, affinity: anti }));
    expect((await waitBound(['pa-1'])).get('pa-1')).not.toBe(N0);
  });

  it('thermal headroom: a hot, throttled Pi gets no pods while cool ones have room', async () => {
    // The node's SoC at 84 °C and throttling (get_throttled bit 2), as its firmware reports it.
    const root = path.join(healthRoots, N1);
    mkdirSync(path.join(root, 'sys/class/thermal/thermal_zone0'), { recursive: true });
    mkdirSync(path.join(root, 'sys/devices/platform/soc/soc:firmware'), { recursive: true });
    mkdirSync(path.join(root, 'proc/device-tree'), { recursive: true });
    writeFileSync(path.join(root, 'sys/class/thermal/thermal_zone0/temp'), '84000\n');
    writeFileSync(path.join(root, 'sys/devices/platform/soc/soc:firmware/get_throttled'), '4\n');
    writeFileSync(path.join(root, 'proc/device-tree/model'), 'Raspberry Pi 4 Model B Rev 1.4\0');
    // The agent reads health at start (and every minute): restart it to report now.
    await c().stopAgent(c().node(N1));
    c().startAgent(c().node(N1));
    await waitFor(`${N1} to report its health`, async () => {
      const n = JSON.parse(await ok(['get', 'nodes', N1, '-o', 'json']));
      return n.status?.health?.socTemperatureCelsius === 84 && n.status?.health?.throttled === true;
    }, { timeoutMs: 20_000, intervalMs: 200 });
    await c().waitNodesReady();

    const podNames = ['warm-0', 'warm-1', 'warm-2', 'warm-3'];
    await apply(...podNames.map((n, i) => pod(n, { labels: { idx: String(i) } })));
    const placed = await waitBound(podNames);
    for (const n of podNames) expect(placed.get(n), n).not.toBe(N1);
    expect([...count(placed).values()].sort()).toEqual([2, 2]);
  });
});
