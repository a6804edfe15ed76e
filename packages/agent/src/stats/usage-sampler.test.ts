import { describe, expect, it } from 'vitest';
import type { UsageReport } from '@orchard/api';
import { cpuStatV2, memoryStatV1, memoryStatV2, MOUNTINFO_DEBIAN_HYBRID, MOUNTINFO_PI_BOOKWORM_V2 } from './cgroup-fixtures';
import { fixtureFs } from './fixture-fs';
import type { StatsClock } from './stats-clock';
import { UsageSampler, type PodContainers } from './usage-sampler';

const MiB = 1024 * 1024;
const T0 = Date.parse('2026-11-25T10:00:00Z');

/** A clock the test moves by hand; the wall clock can jump on its own. */
function fakeClock(): StatsClock & { advance(ms: number): void; jumpWall(ms: number): void } {
  let mono = 5_000;
  let wall = T0;
  return {
    monotonicMs: () => mono,
    wallMs: () => wall,
    advance(ms) {
      mono += ms;
      wall += ms;
    },
    jumpWall(ms) {
      wall += ms;
    },
  };
}

type Version = 1 | 2;
interface ContainerState {
  id: string;
  /** Cumulative CPU in nanoseconds. */
  cpuNs: number;
  usage: number;
  inactiveFile: number;
}

const id = (n: number) => String(n).repeat(64).slice(0, 64);

/** Writes a container's counters where Docker's cgroupfs driver (v1) or systemd driver (v2) puts them. */
function writeContainer(fs: ReturnType<typeof fixtureFs>, v: Version, c: ContainerState) {
  if (v === 1) {
    fs.set(`/sys/fs/cgroup/cpuacct/docker/${c.id}/cpuacct.usage`, `${c.cpuNs}\n`);
    fs.set(`/sys/fs/cgroup/memory/docker/${c.id}/memory.usage_in_bytes`, `${c.usage}\n`);
    fs.set(`/sys/fs/cgroup/memory/docker/${c.id}/memory.stat`, memoryStatV1(0, c.inactiveFile));
  } else {
    const dir = `/sys/fs/cgroup/system.slice/docker-${c.id}.scope`;
    fs.set(`${dir}/cpu.stat`, cpuStatV2(Math.round(c.cpuNs / 1000)));
    fs.set(`${dir}/memory.current`, `${c.usage}\n`);
    fs.set(`${dir}/memory.stat`, memoryStatV2(c.inactiveFile));
  }
}

function removeContainer(fs: ReturnType<typeof fixtureFs>, v: Version, cid: string) {
  const files =
    v === 1
      ? [
          `/sys/fs/cgroup/cpuacct/docker/${cid}/cpuacct.usage`,
          `/sys/fs/cgroup/memory/docker/${cid}/memory.usage_in_bytes`,
          `/sys/fs/cgroup/memory/docker/${cid}/memory.stat`,
        ]
      : ['cpu.stat', 'memory.current', 'memory.stat'].map((f) => `/sys/fs/cgroup/system.slice/docker-${cid}.scope/${f}`);
  for (const f of files) fs.remove(f);
}

function hostTree(v: Version) {
  const fs =
    v === 1
      ? fixtureFs({ '/proc/self/mountinfo': MOUNTINFO_DEBIAN_HYBRID, '/sys/fs/cgroup/unified/cgroup.controllers': 'hugetlb\n' })
      : fixtureFs({ '/proc/self/mountinfo': MOUNTINFO_PI_BOOKWORM_V2, '/sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory pids\n' });
  return fs;
}

function pod(name: string, containers: [string, string, boolean?][]): PodContainers {
  return {
    uid: `uid-${name}`,
    namespace: 'default',
    name,
    containers: containers.map(([cname, cid, infra]) => ({ name: cname, id: cid, ...(infra ? { infra } : {}) })),
  };
}

describe('UsageSampler: container and pod usage from cgroup fixtures', () => {
  const cases: {
    name: string;
    version: Version;
    pods: PodContainers[];
    before: ContainerState[];
    after: ContainerState[];
    elapsedMs: number;
    /** Expected per pod: [pod cores, pod bytes, per container [name, cores, bytes]]. */
    want: Record<string, [number, number, [string, number, number][]]>;
  }[] = [
    {
      name: 'v1: a busy loop reads one core; working set is usage minus total_inactive_file',
      version: 1,
      pods: [pod('burn', [['loop', id(1)]])],
      before: [{ id: id(1), cpuNs: 3e9, usage: 50 * MiB, inactiveFile: 10 * MiB }],
      after: [{ id: id(1), cpuNs: 13e9, usage: 50 * MiB, inactiveFile: 10 * MiB }],
      elapsedMs: 10_000,
      want: { burn: [1, 40 * MiB, [['loop', 1, 40 * MiB]]] },
    },
    {
      name: 'v1: inactive file above usage floors the working set at 0',
      version: 1,
      pods: [pod('idle', [['app', id(2)]])],
      before: [{ id: id(2), cpuNs: 0, usage: 1 * MiB, inactiveFile: 2 * MiB }],
      after: [{ id: id(2), cpuNs: 0, usage: 1 * MiB, inactiveFile: 2 * MiB }],
      elapsedMs: 10_000,
      want: { idle: [0, 0, [['app', 0, 0]]] },
    },
    {
      name: 'v2: half a core over 10 s; working set is memory.current minus inactive_file',
      version: 2,
      pods: [pod('web', [['nginx', id(3)]])],
      before: [{ id: id(3), cpuNs: 1e9, usage: 30 * MiB, inactiveFile: 6 * MiB }],
      after: [{ id: id(3), cpuNs: 6e9, usage: 32 * MiB, inactiveFile: 6 * MiB }],
      elapsedMs: 10_000,
      want: { web: [0.5, 26 * MiB, [['nginx', 0.5, 26 * MiB]]] },
    },
    {
      name: 'v2: a pod sums its containers; the infra container counts but is not listed',
      version: 2,
      pods: [
        pod('two', [
          ['POD', id(4), true],
          ['web', id(5)],
          ['sidecar', id(6)],
        ]),
      ],
      before: [
        { id: id(4), cpuNs: 0, usage: 1 * MiB, inactiveFile: 0 },
        { id: id(5), cpuNs: 0, usage: 20 * MiB, inactiveFile: 4 * MiB },
        { id: id(6), cpuNs: 0, usage: 8 * MiB, inactiveFile: 0 },
      ],
      after: [
        { id: id(4), cpuNs: 0, usage: 1 * MiB, inactiveFile: 0 },
        { id: id(5), cpuNs: 1.5e9, usage: 20 * MiB, inactiveFile: 4 * MiB },
        { id: id(6), cpuNs: 0.5e9, usage: 8 * MiB, inactiveFile: 0 },
      ],
      elapsedMs: 5_000,
      want: {
        two: [
          0.4,
          25 * MiB,
          [
            ['web', 0.3, 16 * MiB],
            ['sidecar', 0.1, 8 * MiB],
          ],
        ],
      },
    },
    {
      name: 'v1: two pods are reported apart',
      version: 1,
      pods: [pod('a', [['c', id(7)]]), pod('b', [['c', id(8)]])],
      before: [
        { id: id(7), cpuNs: 0, usage: 10 * MiB, inactiveFile: 0 },
        { id: id(8), cpuNs: 0, usage: 20 * MiB, inactiveFile: 0 },
      ],
      after: [
        { id: id(7), cpuNs: 2e9, usage: 10 * MiB, inactiveFile: 0 },
        { id: id(8), cpuNs: 0.2e9, usage: 20 * MiB, inactiveFile: 0 },
      ],
      elapsedMs: 2_000,
      want: { a: [1, 10 * MiB, [['c', 1, 10 * MiB]]], b: [0.1, 20 * MiB, [['c', 0.1, 20 * MiB]]] },
    },
  ];

  it.each(cases)('$name', ({ version, pods, before, after, elapsedMs, want }) => {
    const fs = hostTree(version);
    const clock = fakeClock();
    for (const c of before) writeContainer(fs, version, c);
    const sampler = new UsageSampler({ fs, clock });

    expect(sampler.sample(pods).pods).toEqual([]);

    clock.advance(elapsedMs);
    for (const c of after) writeContainer(fs, version, c);
    const report = sampler.sample(pods);

    const got = Object.fromEntries(
      report.pods.map((p) => [
        p.name,
        [p.usage!.cpuCores, p.usage!.memoryWorkingSetBytes, p.containers.map((c) => [c.name, c.usage!.cpuCores, c.usage!.memoryWorkingSetBytes])],
      ]),
    );
    expect(Object.keys(got)).toEqual(Object.keys(want));
    for (const [name, [cores, bytes, containers]] of Object.entries(want)) {
      const [gotCores, gotBytes, gotContainers] = got[name] as [number, number, [string, number, number][]];
      expect(gotCores).toBeCloseTo(cores, 9);
      expect(gotBytes).toBe(bytes);
      expect(gotContainers.map(([n]) => n)).toEqual(containers.map(([n]) => n));
      gotContainers.forEach(([, c, b], i) => {
        expect(c).toBeCloseTo(containers[i][1], 9);
        expect(b).toBe(containers[i][2]);
      });
    }
    const p = report.pods[0];
    expect(p.uid).toBe(`uid-${p.name}`);
    expect(p.namespace).toBe('default');
    expect(p.usage!.timestamp).toBe(new Date(T0 + elapsedMs).toISOString().replace('.000Z', 'Z'));
  });
});

describe('UsageSampler: life of a container', () => {
  const cid = id(1);
  const pods = [pod('p', [['c', cid]])];

  function setup(version: Version) {
    const fs = hostTree(version);
    const clock = fakeClock();
    writeContainer(fs, version, { id: cid, cpuNs: 1e9, usage: 4 * MiB, inactiveFile: 0 });
    return { fs, clock, sampler: new UsageSampler({ fs, clock }) };
  }

  it.each([1, 2] as const)('v%s: a container that stops is left out, and primes again when it is back', (version) => {
    const { fs, clock, sampler } = setup(version);
    sampler.sample(pods);
    clock.advance(10_000);
    removeContainer(fs, version, cid);
    expect(sampler.sample(pods).pods).toEqual([]);

    writeContainer(fs, version, { id: cid, cpuNs: 1e9, usage: 4 * MiB, inactiveFile: 0 });
    clock.advance(10_000);
    expect(sampler.sample(pods).pods).toEqual([]);
    writeContainer(fs, version, { id: cid, cpuNs: 3e9, usage: 4 * MiB, inactiveFile: 0 });
    clock.advance(10_000);
    expect(sampler.sample(pods).pods[0].usage!.cpuCores).toBeCloseTo(0.2, 9);
  });

  it('a counter that goes backwards starts over instead of reporting a negative rate', () => {
    const { fs, clock, sampler } = setup(1);
    sampler.sample(pods);
    clock.advance(10_000);
    writeContainer(fs, 1, { id: cid, cpuNs: 0.5e9, usage: 4 * MiB, inactiveFile: 0 });
    expect(sampler.sample(pods).pods).toEqual([]);
    clock.advance(10_000);
    writeContainer(fs, 1, { id: cid, cpuNs: 2.5e9, usage: 4 * MiB, inactiveFile: 0 });
    expect(sampler.sample(pods).pods[0].usage!.cpuCores).toBeCloseTo(0.2, 9);
  });

  it('a container no longer listed is forgotten: listed again, it primes again', () => {
    const { fs, clock, sampler } = setup(2);
    sampler.sample(pods);
    clock.advance(10_000);
    sampler.sample([]);
    clock.advance(10_000);
    writeContainer(fs, 2, { id: cid, cpuNs: 9e9, usage: 4 * MiB, inactiveFile: 0 });
    expect(sampler.sample(pods).pods).toEqual([]);
  });

  it('CPU rates use the monotonic clock, so a wall clock jump (NTP on a Pi) changes nothing', () => {
    const { fs, clock, sampler } = setup(2);
    sampler.sample(pods);
    clock.advance(10_000);
    clock.jumpWall(3 * 3600_000);
    writeContainer(fs, 2, { id: cid, cpuNs: 6e9, usage: 4 * MiB, inactiveFile: 0 });
    const usage = sampler.sample(pods).pods[0].usage!;
    expect(usage.cpuCores).toBeCloseTo(0.5, 9);
    expect(usage.timestamp).toBe('2026-11-25T13:00:10Z');
  });

  it('cheap: the cgroup is looked up once, then three reads per container per sample', () => {
    const { fs, clock, sampler } = setup(1);
    const withPid = [{ ...pods[0], containers: [{ name: 'c', id: cid, pid: 321 }] }];
    fs.set('/proc/321/cgroup', `4:memory:/docker/${cid}\n2:cpuacct:/docker/${cid}\n`);
    for (let i = 0; i < 5; i++) {
      sampler.sample(withPid);
      clock.advance(10_000);
    }
    expect(fs.reads.get('/proc/321/cgroup')).toBe(1);
    const containerReads = [...fs.reads].filter(([f]) => f.includes(cid)).reduce((n, [, k]) => n + k, 0);
    expect(containerReads).toBe(5 * 3);
  });

  it('no cgroup hierarchy: only the node is reported', () => {
    const fs = fixtureFs({
      '/proc/self/mountinfo': '25 1 0:23 / / rw - overlay overlay rw\n',
      '/proc/stat': 'cpu  0 0 0 100\ncpu0 0 0 0 100\n',
      '/proc/meminfo': 'MemTotal: 1000 kB\nMemAvailable: 600 kB\n',
    });
    const clock = fakeClock();
    const sampler = new UsageSampler({ fs, clock });
    expect(sampler.layout).toBeUndefined();
    sampler.sample(pods);
    clock.advance(10_000);
    fs.set('/proc/stat', 'cpu  50 0 0 150\ncpu0 50 0 0 150\n');
    const report = sampler.sample(pods);
    expect(report.pods).toEqual([]);
    expect(report.node).toEqual({ cpuCores: 0.5, memoryWorkingSetBytes: 400 * 1024, timestamp: '2026-11-25T10:00:10Z' });
  });
});

describe('UsageSampler: node usage from /proc', () => {
  const meminfo = 'MemTotal:        3884368 kB\nMemFree:          123456 kB\nMemAvailable:    2884368 kB\n';
  const cases: { name: string; before: string; after: string; meminfo: string; want: UsageReport['node'] }[] = [
    {
      name: 'four cores, two busy (iowait counts as idle)',
      before: 'cpu  1000 0 1000 8000 0 0 0 0 0 0\ncpu0 0\ncpu1 0\ncpu2 0\ncpu3 0\n',
      after: 'cpu  1300 0 1100 8300 100 0 0 0 0 0\ncpu0 0\ncpu1 0\ncpu2 0\ncpu3 0\n',
      meminfo,
      want: { cpuCores: 2, memoryWorkingSetBytes: 1_000_000 * 1024, timestamp: '2026-11-25T10:00:10Z' },
    },
    {
      name: 'idle node',
      before: 'cpu  10 0 10 100 0 0 0 0 0 0\ncpu0 0\n',
      after: 'cpu  10 0 10 1100 0 0 0 0 0 0\ncpu0 0\n',
      meminfo,
      want: { cpuCores: 0, memoryWorkingSetBytes: 1_000_000 * 1024, timestamp: '2026-11-25T10:00:10Z' },
    },
    {
      name: 'no MemAvailable (very old kernel): node left out',
      before: 'cpu  10 0 10 100\ncpu0 0\n',
      after: 'cpu  20 0 10 100\ncpu0 0\n',
      meminfo: 'MemTotal: 1000 kB\n',
      want: undefined,
    },
    {
      name: 'counters did not move: node left out',
      before: 'cpu  10 0 10 100\ncpu0 0\n',
      after: 'cpu  10 0 10 100\ncpu0 0\n',
      meminfo,
      want: undefined,
    },
  ];
  it.each(cases)('$name', ({ before, after, meminfo, want }) => {
    const fs = fixtureFs({ '/proc/self/mountinfo': MOUNTINFO_PI_BOOKWORM_V2, '/proc/stat': before, '/proc/meminfo': meminfo });
    const clock = fakeClock();
    const sampler = new UsageSampler({ fs, clock });
    expect(sampler.sample([]).node).toBeUndefined();
    clock.advance(10_000);
    fs.set('/proc/stat', after);
    expect(sampler.sample([]).node).toEqual(want);
  });
});
