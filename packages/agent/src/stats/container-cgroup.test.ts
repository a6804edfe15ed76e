import { describe, expect, it } from 'vitest';
import type { CgroupLayout } from './cgroup-layout';
import {
  candidateCgroupPaths,
  expandSlice,
  resolveContainerCgroup,
  type CgroupDriver,
  type ContainerCgroup,
  type ContainerCgroupHint,
} from './container-cgroup';
import { fixtureFs } from './fixture-fs';

const ID = 'c0ffee'.padEnd(64, '0');
const OTHER = 'dead'.padEnd(64, '1');

const V1: CgroupLayout = {
  version: 1,
  cpuacctRoot: '/sys/fs/cgroup/cpuacct',
  memoryRoot: '/sys/fs/cgroup/memory',
  unifiedRoot: '/sys/fs/cgroup/unified',
  unifiedControllers: [],
};
const V2: CgroupLayout = { version: 2, unifiedRoot: '/sys/fs/cgroup', unifiedControllers: ['cpu', 'memory', 'pids'] };
const V2_NO_MEMORY: CgroupLayout = { version: 2, unifiedRoot: '/sys/fs/cgroup', unifiedControllers: ['cpu', 'pids'] };

describe('expandSlice', () => {
  it.each([
    { slice: 'system.slice', want: '/system.slice' },
    { slice: 'orchard-pods.slice', want: '/orchard.slice/orchard-pods.slice' },
    { slice: 'a-b-c.slice', want: '/a.slice/a-b.slice/a-b-c.slice' },
    { slice: '-.slice', want: '/' },
  ])('$slice', ({ slice, want }) => {
    expect(expandSlice(slice)).toBe(want);
  });
});

describe('candidateCgroupPaths', () => {
  const cases: { name: string; hint: ContainerCgroupHint; driver?: CgroupDriver; want: string[] }[] = [
    { name: 'no hint: cgroupfs first, then systemd', hint: { id: ID }, want: [`/docker/${ID}`, `/system.slice/docker-${ID}.scope`] },
    { name: 'cgroupfs driver', hint: { id: ID }, driver: 'cgroupfs', want: [`/docker/${ID}`] },
    { name: 'systemd driver', hint: { id: ID }, driver: 'systemd', want: [`/system.slice/docker-${ID}.scope`] },
    { name: 'cgroupfs parent', hint: { id: ID, cgroupParent: '/orchard/pod1' }, driver: 'cgroupfs', want: [`/orchard/pod1/${ID}`] },
    { name: 'relative cgroupfs parent', hint: { id: ID, cgroupParent: 'orchard' }, driver: 'cgroupfs', want: [`/orchard/${ID}`] },
    {
      name: 'systemd slice parent, driver unknown: slice first',
      hint: { id: ID, cgroupParent: 'orchard-pods.slice' },
      want: [`/orchard.slice/orchard-pods.slice/docker-${ID}.scope`, `/orchard-pods.slice/${ID}`],
    },
  ];
  it.each(cases)('$name', ({ hint, driver, want }) => {
    expect(candidateCgroupPaths(hint, driver)).toEqual(want);
  });
});

describe('resolveContainerCgroup', () => {
  const v1Files = (p: string) => ({
    [`/sys/fs/cgroup/cpuacct${p}/cpuacct.usage`]: '1\n',
    [`/sys/fs/cgroup/memory${p}/memory.usage_in_bytes`]: '1\n',
    [`/sys/fs/cgroup/memory${p}/memory.stat`]: '',
  });
  const v2Files = (p: string) => ({
    [`/sys/fs/cgroup${p}/cpu.stat`]: 'usage_usec 1\n',
    [`/sys/fs/cgroup${p}/memory.current`]: '1\n',
    [`/sys/fs/cgroup${p}/memory.stat`]: '',
  });
  const v1Want = (p: string): ContainerCgroup => ({
    path: p,
    cpu: { version: 1, usageFile: `/sys/fs/cgroup/cpuacct${p}/cpuacct.usage` },
    memory: {
      version: 1,
      usageFile: `/sys/fs/cgroup/memory${p}/memory.usage_in_bytes`,
      statFile: `/sys/fs/cgroup/memory${p}/memory.stat`,
    },
  });
  const v2Want = (p: string): ContainerCgroup => ({
    path: p,
    cpu: { version: 2, statFile: `/sys/fs/cgroup${p}/cpu.stat` },
    memory: { version: 2, currentFile: `/sys/fs/cgroup${p}/memory.current`, statFile: `/sys/fs/cgroup${p}/memory.stat` },
  });

  const cases: {
    name: string;
    layout: CgroupLayout;
    files: Record<string, string>;
    hint: ContainerCgroupHint;
    driver?: CgroupDriver;
    want: ContainerCgroup | undefined;
  }[] = [
    {
      name: 'v1 cgroupfs, found by guessing',
      layout: V1,
      files: v1Files(`/docker/${ID}`),
      hint: { id: ID },
      want: v1Want(`/docker/${ID}`),
    },
    {
      name: 'v1 from /proc/<pid>/cgroup with a custom parent',
      layout: V1,
      files: {
        ...v1Files(`/orchard/p1/${ID}`),
        '/proc/42/cgroup': `4:memory:/orchard/p1/${ID}\n2:cpuacct:/orchard/p1/${ID}\n1:cpu:/orchard/p1/${ID}\n0::/orchard/p1/${ID}\n`,
      },
      hint: { id: ID, pid: 42 },
      want: v1Want(`/orchard/p1/${ID}`),
    },
    {
      name: 'v1 from /proc/<pid>/cgroup with cpu,cpuacct together',
      layout: { ...V1, cpuacctRoot: '/sys/fs/cgroup/cpu,cpuacct' },
      files: {
        [`/sys/fs/cgroup/cpu,cpuacct/docker/${ID}/cpuacct.usage`]: '1\n',
        [`/sys/fs/cgroup/memory/docker/${ID}/memory.usage_in_bytes`]: '1\n',
        '/proc/42/cgroup': `4:memory:/docker/${ID}\n3:cpu,cpuacct:/docker/${ID}\n`,
      },
      hint: { id: ID, pid: 42 },
      want: {
        path: `/docker/${ID}`,
        cpu: { version: 1, usageFile: `/sys/fs/cgroup/cpu,cpuacct/docker/${ID}/cpuacct.usage` },
        memory: {
          version: 1,
          usageFile: `/sys/fs/cgroup/memory/docker/${ID}/memory.usage_in_bytes`,
          statFile: `/sys/fs/cgroup/memory/docker/${ID}/memory.stat`,
        },
      },
    },
    {
      name: 'a reused pid (path without the id) is not trusted',
      layout: V1,
      files: { ...v1Files(`/docker/${ID}`), ...v1Files('/user.slice'), '/proc/42/cgroup': '4:memory:/user.slice\n2:cpuacct:/user.slice\n' },
      hint: { id: ID, pid: 42 },
      want: v1Want(`/docker/${ID}`),
    },
    {
      name: 'v2 systemd driver',
      layout: V2,
      files: v2Files(`/system.slice/docker-${ID}.scope`),
      hint: { id: ID },
      want: v2Want(`/system.slice/docker-${ID}.scope`),
    },
    {
      name: 'v2 cgroupfs driver',
      layout: V2,
      files: v2Files(`/docker/${ID}`),
      hint: { id: ID },
      driver: 'cgroupfs',
      want: v2Want(`/docker/${ID}`),
    },
    {
      name: 'v2 from /proc/<pid>/cgroup',
      layout: V2,
      files: { ...v2Files(`/system.slice/docker-${ID}.scope`), '/proc/7/cgroup': `0::/system.slice/docker-${ID}.scope\n` },
      hint: { id: ID, pid: 7 },
      want: v2Want(`/system.slice/docker-${ID}.scope`),
    },
    {
      name: 'v2 with a slice parent',
      layout: V2,
      files: v2Files(`/orchard.slice/orchard-pods.slice/docker-${ID}.scope`),
      hint: { id: ID, cgroupParent: 'orchard-pods.slice' },
      want: v2Want(`/orchard.slice/orchard-pods.slice/docker-${ID}.scope`),
    },
    {
      name: 'v2 without the memory controller: CPU only',
      layout: V2_NO_MEMORY,
      files: { [`/sys/fs/cgroup/docker/${ID}/cpu.stat`]: 'usage_usec 1\n' },
      hint: { id: ID },
      want: { path: `/docker/${ID}`, cpu: { version: 2, statFile: `/sys/fs/cgroup/docker/${ID}/cpu.stat` }, memory: undefined },
    },
    {
      name: 'another container only: not found',
      layout: V1,
      files: v1Files(`/docker/${OTHER}`),
      hint: { id: ID },
      want: undefined,
    },
    {
      name: 'exited container with a stale pid: not found',
      layout: V2,
      files: {},
      hint: { id: ID, pid: 99 },
      want: undefined,
    },
  ];
  it.each(cases)('$name', ({ layout, files, hint, driver, want }) => {
    expect(resolveContainerCgroup(layout, fixtureFs(files), hint, driver)).toEqual(want);
  });
});
