import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { readCpuUsageNs } from './cgroup-readers';
import { resolveContainerCgroup } from './container-cgroup';
import { hostFs } from './read-only-fs';
import { UsageSampler } from './usage-sampler';

/**
 * The sampler against the real thing: a container burning CPU on this host's Docker engine,
 * read from cgroup accounting and compared with what `docker stats` shows for it.
 */

const run = promisify(execFile);
const IMAGE = 'orchard-test/busybox:1';

async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { timeout: 30_000 });
  return stdout.trim();
}

/** Builds the busybox test image from the host's busybox-static when it is not there yet. */
async function ensureImage(): Promise<void> {
  try {
    await docker('image', 'inspect', '--format', '{{.Id}}', IMAGE);
    return;
  } catch {
    // Not there: build it below.
  }
  const script = [
    'set -e',
    'd=$(mktemp -d)',
    'trap \'rm -rf "$d"\' EXIT',
    'mkdir -p "$d/bin"',
    'cp /bin/busybox "$d/bin/busybox"',
    'for t in sh sleep dd cat; do ln -s busybox "$d/bin/$t"; done',
    `tar -C "$d" -c . | docker import --change 'CMD ["sh"]' - ${IMAGE} >/dev/null`,
  ].join('\n');
  await run('sh', ['-c', script], { timeout: 60_000 });
}

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, kB: 1e3, MB: 1e6, GB: 1e9 };

/** "104.52% 32.3MiB / 23.54GiB" → CPU in cores and memory in bytes. */
function parseDockerStats(line: string): { cores: number; bytes: number } {
  const m = /^([\d.]+)%\s+([\d.]+)([A-Za-z]+)\s*\//.exec(line);
  if (!m || !(m[3] in UNITS)) throw new Error(`unexpected docker stats output: ${line}`);
  return { cores: Number(m[1]) / 100, bytes: Number(m[2]) * UNITS[m[3]] };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('UsageSampler on this host', () => {
  it('agrees with docker stats for a container burning one core and holding 32 MiB', async () => {
    try {
      await docker('version', '--format', '{{.Server.Version}}');
    } catch (err) {
      throw new Error('this test needs a running Docker engine: start dockerd (see the test bed) and run again', { cause: err });
    }
    await ensureImage();
    const name = `orchard-stats-test-${process.pid}-${Date.now()}`;
    try {
      const id = await docker(
        'run', '-d', '--name', name, '--label', 'io.orchard.test=usage-sampler', IMAGE,
        'sh', '-c', 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=32 2>/dev/null; while :; do :; done',
      );
      const [pid, cgroupParent] = (await docker('inspect', '--format', '{{.State.Pid}}|{{.HostConfig.CgroupParent}}', id)).split('|');
      const driver = await docker('info', '--format', '{{.CgroupDriver}}');
      const sampler = new UsageSampler({ cgroupDriver: driver === 'systemd' ? 'systemd' : 'cgroupfs' });
      const pods = [
        { uid: 'u1', namespace: 'default', name: 'burn', containers: [{ name: 'loop', id, pid: Number(pid), cgroupParent }] },
      ];
      // Let dd fill /dev/shm before the window opens.
      await sleep(1000);

      // Without the pid, Docker's naming finds the same cgroup.
      const guessed = resolveContainerCgroup(sampler.layout!, hostFs(), { id });
      expect(guessed?.cpu).toBeDefined();
      // A hybrid host also lists the container in its cgroup2 tree, with cpu.stat but no
      // memory controller: read its usage_usec too, to check the v2 reading on a real kernel.
      const unified = sampler.layout?.version === 1 ? sampler.layout.unifiedRoot : undefined;
      const v2 = unified
        ? resolveContainerCgroup({ version: 2, unifiedRoot: unified, unifiedControllers: [] }, hostFs(), { id, pid: Number(pid) })
        : undefined;
      const v2Start = v2?.cpu ? readCpuUsageNs(hostFs(), v2.cpu) : undefined;
      const v2StartMs = performance.now();

      sampler.sample(pods);
      // docker stats --no-stream takes two readings about a second apart inside its ~2 s:
      // sampling right before and right after it puts both windows over the same stretch.
      const statsLine = await docker('stats', '--no-stream', '--format', '{{.CPUPerc}} {{.MemUsage}}', id);
      const report = sampler.sample(pods);
      const v2Cores =
        v2?.cpu && v2Start !== undefined ? (readCpuUsageNs(hostFs(), v2.cpu)! - v2Start) / ((performance.now() - v2StartMs) * 1e6) : undefined;

      const theirs = parseDockerStats(statsLine);
      const ours = report.pods[0]?.containers[0]?.usage;
      expect(ours, 'the sampler found the container cgroup').toBeDefined();
      console.info(
        `layout v${sampler.layout?.version} (${sampler.layout?.cpuacctRoot ?? sampler.layout?.unifiedRoot}); ` +
          `sampler: ${ours!.cpuCores.toFixed(3)} cores, ${(ours!.memoryWorkingSetBytes / 2 ** 20).toFixed(2)} MiB; ` +
          `docker stats: "${statsLine}"; node: ${report.node?.cpuCores.toFixed(3)} cores, ` +
          `${((report.node?.memoryWorkingSetBytes ?? 0) / 2 ** 20).toFixed(0)} MiB; ` +
          `guessed path ${guessed?.path}; cgroup2 cpu.stat: ${v2 ? `${v2Cores?.toFixed(3)} cores at ${v2.path}` : 'no container there'}`,
      );
      // A busy loop reads about one core; the floor leaves room for a busy CI machine.
      expect(ours!.cpuCores).toBeGreaterThan(0.5);
      expect(Math.abs(ours!.cpuCores - theirs.cores)).toBeLessThanOrEqual(0.1 * theirs.cores);
      expect(ours!.memoryWorkingSetBytes).toBeGreaterThan(32 * 2 ** 20);
      expect(Math.abs(ours!.memoryWorkingSetBytes - theirs.bytes)).toBeLessThanOrEqual(0.1 * theirs.bytes);
      if (v2Cores !== undefined) expect(Math.abs(v2Cores - ours!.cpuCores)).toBeLessThanOrEqual(0.1 * ours!.cpuCores);
      expect(report.node!.cpuCores).toBeGreaterThanOrEqual(ours!.cpuCores * 0.9);
    } finally {
      await docker('rm', '-f', name).catch(() => undefined);
    }
  }, 60_000);
});
