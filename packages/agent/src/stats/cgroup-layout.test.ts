import { describe, expect, it } from 'vitest';
import { detectCgroupLayout, type CgroupLayout } from './cgroup-layout';
import {
  MOUNTINFO_DEBIAN_HYBRID,
  MOUNTINFO_ESCAPED,
  MOUNTINFO_PI_BOOKWORM_V2,
  MOUNTINFO_PI_BUSTER_V1,
} from './cgroup-fixtures';
import { fixtureFs } from './fixture-fs';

describe('detectCgroupLayout', () => {
  const cases: { name: string; files: Record<string, string>; want: CgroupLayout | undefined }[] = [
    {
      name: 'Debian hybrid: cpu and cpuacct apart, empty unified tree',
      files: { '/proc/self/mountinfo': MOUNTINFO_DEBIAN_HYBRID, '/sys/fs/cgroup/unified/cgroup.controllers': 'hugetlb\n' },
      want: {
        version: 1,
        cpuacctRoot: '/sys/fs/cgroup/cpuacct',
        memoryRoot: '/sys/fs/cgroup/memory',
        unifiedRoot: '/sys/fs/cgroup/unified',
        unifiedControllers: ['hugetlb'],
      },
    },
    {
      name: 'Pi OS buster: cpu,cpuacct together',
      files: { '/proc/self/mountinfo': MOUNTINFO_PI_BUSTER_V1, '/sys/fs/cgroup/unified/cgroup.controllers': '' },
      want: {
        version: 1,
        cpuacctRoot: '/sys/fs/cgroup/cpu,cpuacct',
        memoryRoot: '/sys/fs/cgroup/memory',
        unifiedRoot: '/sys/fs/cgroup/unified',
        unifiedControllers: [],
      },
    },
    {
      name: 'Pi OS bookworm: unified only',
      files: {
        '/proc/self/mountinfo': MOUNTINFO_PI_BOOKWORM_V2,
        '/sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory pids\n',
      },
      want: {
        version: 2,
        cpuacctRoot: undefined,
        memoryRoot: undefined,
        unifiedRoot: '/sys/fs/cgroup',
        unifiedControllers: ['cpuset', 'cpu', 'io', 'memory', 'pids'],
      },
    },
    {
      name: 'Pi OS bookworm with the memory cgroup disabled',
      files: { '/proc/self/mountinfo': MOUNTINFO_PI_BOOKWORM_V2, '/sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io pids\n' },
      want: {
        version: 2,
        cpuacctRoot: undefined,
        memoryRoot: undefined,
        unifiedRoot: '/sys/fs/cgroup',
        unifiedControllers: ['cpuset', 'cpu', 'io', 'pids'],
      },
    },
    {
      name: 'escaped mount point',
      files: { '/proc/self/mountinfo': MOUNTINFO_ESCAPED, '/srv/cg root/cgroup.controllers': 'memory\n' },
      want: { version: 2, cpuacctRoot: undefined, memoryRoot: undefined, unifiedRoot: '/srv/cg root', unifiedControllers: ['memory'] },
    },
    {
      name: 'no mountinfo: falls back to the usual mount points (v1)',
      files: {
        '/sys/fs/cgroup/cpu,cpuacct/cpuacct.usage': '1\n',
        '/sys/fs/cgroup/memory/memory.usage_in_bytes': '1\n',
      },
      want: {
        version: 1,
        cpuacctRoot: '/sys/fs/cgroup/cpu,cpuacct',
        memoryRoot: '/sys/fs/cgroup/memory',
        unifiedRoot: undefined,
        unifiedControllers: [],
      },
    },
    {
      name: 'no mountinfo: falls back to the usual mount points (v2)',
      files: { '/sys/fs/cgroup/cgroup.controllers': 'cpu memory\n' },
      want: { version: 2, cpuacctRoot: undefined, memoryRoot: undefined, unifiedRoot: '/sys/fs/cgroup', unifiedControllers: ['cpu', 'memory'] },
    },
    {
      name: 'no cgroup filesystem at all',
      files: { '/proc/self/mountinfo': '25 1 0:23 / / rw,relatime - overlay overlay rw\n' },
      want: undefined,
    },
  ];
  it.each(cases)('$name', ({ files, want }) => {
    expect(detectCgroupLayout(fixtureFs(files))).toEqual(want);
  });
});
