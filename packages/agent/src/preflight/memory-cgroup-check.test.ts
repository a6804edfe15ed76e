import { describe, expect, it } from 'vitest';
import { MOUNTINFO_DEBIAN_HYBRID, MOUNTINFO_PI_BOOKWORM_V2, MOUNTINFO_PI_BUSTER_V1 } from '../stats/cgroup-fixtures';
import { fixtureFs } from '../stats/fixture-fs';
import { hostFs } from '../stats/read-only-fs';
import { checkMemoryCgroup, MEMORY_CGROUP_DISABLED, NO_CGROUPS } from './memory-cgroup-check';

const PROC_CGROUPS = (memoryEnabled: 0 | 1) =>
  `#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t3\t1\t1\ncpu\t1\t1\t1\ncpuacct\t2\t1\t1\nmemory\t4\t25\t${memoryEnabled}\npids\t8\t1\t1\n`;

/** Pi OS buster booted with cgroup_disable=memory: no memory mount, disabled in /proc/cgroups. */
const MOUNTINFO_PI_BUSTER_NO_MEMORY = MOUNTINFO_PI_BUSTER_V1.split('\n')
  .filter((l) => !l.includes('/sys/fs/cgroup/memory'))
  .join('\n');

describe('checkMemoryCgroup', () => {
  const cases: { name: string; files: Record<string, string>; wantOk: boolean; wantMessage?: string }[] = [
    {
      name: 'v2 with memory among the controllers',
      files: { '/proc/self/mountinfo': MOUNTINFO_PI_BOOKWORM_V2, '/sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory pids\n' },
      wantOk: true,
    },
    {
      name: 'v2 Pi OS without cgroup_enable=memory',
      files: { '/proc/self/mountinfo': MOUNTINFO_PI_BOOKWORM_V2, '/sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io pids\n' },
      wantOk: false,
      wantMessage: MEMORY_CGROUP_DISABLED,
    },
    {
      name: 'v1 hybrid (this development machine)',
      files: {
        '/proc/self/mountinfo': MOUNTINFO_DEBIAN_HYBRID,
        '/sys/fs/cgroup/unified/cgroup.controllers': 'hugetlb\n',
        '/proc/cgroups': PROC_CGROUPS(1),
      },
      wantOk: true,
    },
    {
      name: 'v1 with the memory controller disabled in /proc/cgroups',
      files: { '/proc/self/mountinfo': MOUNTINFO_PI_BUSTER_NO_MEMORY, '/proc/cgroups': PROC_CGROUPS(0) },
      wantOk: false,
      wantMessage: MEMORY_CGROUP_DISABLED,
    },
    {
      name: 'v1 without a memory mount',
      files: { '/proc/self/mountinfo': MOUNTINFO_PI_BUSTER_NO_MEMORY },
      wantOk: false,
      wantMessage: MEMORY_CGROUP_DISABLED,
    },
    {
      name: 'v1 where /proc/cgroups has no memory line at all',
      files: { '/proc/self/mountinfo': MOUNTINFO_PI_BUSTER_V1, '/proc/cgroups': '#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpu\t1\t1\t1\n' },
      wantOk: false,
      wantMessage: MEMORY_CGROUP_DISABLED,
    },
    {
      name: 'no cgroup filesystem',
      files: { '/proc/self/mountinfo': '25 1 0:23 / / rw - overlay overlay rw\n' },
      wantOk: false,
      wantMessage: NO_CGROUPS,
    },
  ];
  it.each(cases)('$name', ({ files, wantOk, wantMessage }) => {
    const got = checkMemoryCgroup(fixtureFs(files));
    expect(got.ok).toBe(wantOk);
    if (!got.ok) expect(got.message).toBe(wantMessage);
  });

  it('the message names the cmdline.txt change and the reboot', () => {
    expect(MEMORY_CGROUP_DISABLED).toContain('cgroup_enable=memory cgroup_memory=1');
    expect(MEMORY_CGROUP_DISABLED).toContain('/boot/firmware/cmdline.txt');
    expect(MEMORY_CGROUP_DISABLED).toContain('reboot');
  });

  it('passes on this host, whose memory cgroup Docker uses', () => {
    expect(checkMemoryCgroup(hostFs())).toMatchObject({ name: 'memory-cgroup', ok: true });
  });
});
