/**
 * Cgroup trees of the hosts Orchard runs on, as fixture files for tests. The mountinfo
 * texts are copied from real hosts (ids and unrelated mounts trimmed).
 */

/** Debian 12 VM, Docker 20.10 with the cgroupfs driver: v1 controllers plus an empty cgroup2. */
export const MOUNTINFO_DEBIAN_HYBRID = `\
25 1 0:23 / / rw,relatime - overlay overlay rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

/** Raspberry Pi OS buster / Debian 10 with systemd: cpu and cpuacct mounted together. */
export const MOUNTINFO_PI_BUSTER_V1 = `\
22 1 179:2 / / rw,noatime shared:1 - ext4 /dev/root rw
27 21 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:4 - tmpfs tmpfs ro,mode=755
28 27 0:24 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:5 - cgroup2 cgroup2 rw,nsdelegate
29 27 0:25 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:6 - cgroup cgroup rw,xattr,name=systemd
33 27 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,cpu,cpuacct
37 27 0:33 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory
`;

/** Raspberry Pi OS bookworm: cgroup v2 only. */
export const MOUNTINFO_PI_BOOKWORM_V2 = `\
22 1 179:2 / / rw,noatime shared:1 - ext4 /dev/root rw
26 21 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;

/** A host whose cgroup mount point has a space in it (mountinfo escapes it as \\040). */
export const MOUNTINFO_ESCAPED = `\
26 21 0:23 / /srv/cg\\040root rw,relatime - cgroup2 cgroup2 rw
`;

/** A memory.stat of cgroup v1 (the hierarchical total_* lines are the ones that count). */
export function memoryStatV1(inactiveFile: number, totalInactiveFile = inactiveFile): string {
  return [
    'cache 1679360',
    'rss 57344',
    'shmem 0',
    'mapped_file 1171456',
    'inactive_anon 53248',
    'active_anon 4096',
    `inactive_file ${inactiveFile}`,
    'active_file 532480',
    'hierarchical_memory_limit 9223372036854771712',
    'total_cache 1679360',
    'total_rss 57344',
    'total_inactive_anon 53248',
    `total_inactive_file ${totalInactiveFile}`,
    'total_active_file 532480',
    '',
  ].join('\n');
}

/** A memory.stat of cgroup v2. */
export function memoryStatV2(inactiveFile: number): string {
  return [
    'anon 3072000',
    'file 1679360',
    'kernel_stack 16384',
    'shmem 0',
    'file_mapped 1171456',
    'inactive_anon 53248',
    'active_anon 3018752',
    `inactive_file ${inactiveFile}`,
    'active_file 532480',
    'workingset_refault_file 410',
    '',
  ].join('\n');
}

/** A cpu.stat of cgroup v2. */
export function cpuStatV2(usageUsec: number): string {
  return `usage_usec ${usageUsec}\nuser_usec ${Math.floor(usageUsec / 3)}\nsystem_usec ${usageUsec - Math.floor(usageUsec / 3)}\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n`;
}
