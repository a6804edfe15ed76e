import path from 'node:path';
import type { CgroupLayout } from './cgroup-layout';
import type { ReadOnlyFs } from './read-only-fs';

/** Docker's cgroup driver (docker info: CgroupDriver). */
export type CgroupDriver = 'cgroupfs' | 'systemd';

/**
 * What the agent knows about a container from Docker's inspect. Only the id is required;
 * the pid (State.Pid) names the cgroup exactly, the parent (HostConfig.CgroupParent)
 * narrows the guess when the pid is unknown.
 */
export interface ContainerCgroupHint {
  id: string;
  pid?: number;
  cgroupParent?: string;
}

/** Where a container's cumulative CPU time is read. */
export type CpuSource = { version: 1; usageFile: string } | { version: 2; statFile: string };

/** Where a container's memory usage and inactive file cache are read. */
export type MemorySource =
  | { version: 1; usageFile: string; statFile: string }
  | { version: 2; currentFile: string; statFile: string };

/** The accounting files of one container; a source is absent when its controller is. */
export interface ContainerCgroup {
  /** The cgroup path relative to the hierarchy roots ("/docker/<id>"). */
  path: string;
  cpu?: CpuSource;
  memory?: MemorySource;
}

/**
 * A systemd slice name expanded to its path: "orchard-pods.slice" lives at
 * "/orchard.slice/orchard-pods.slice".
 */
export function expandSlice(slice: string): string {
  if (slice === '-.slice') return '/';
  const name = slice.slice(0, -'.slice'.length);
  let out = '';
  let prefix = '';
  for (const part of name.split('-')) {
    prefix = prefix ? `${prefix}-${part}` : part;
    out += `/${prefix}.slice`;
  }
  return out;
}

/**
 * Where Docker puts a container's cgroup, relative to the hierarchy roots, most likely
 * first. cgroupfs: "<parent or /docker>/<id>"; systemd: "<parent slice or
 * system.slice>/docker-<id>.scope".
 */
export function candidateCgroupPaths(hint: ContainerCgroupHint, driver?: CgroupDriver): string[] {
  const { id } = hint;
  const parent = hint.cgroupParent?.trim();
  const cgroupfs = `${parent ? path.posix.join('/', parent) : '/docker'}/${id}`;
  const systemd = `${parent?.endsWith('.slice') ? expandSlice(parent) : '/system.slice'}/docker-${id}.scope`;
  if (driver === 'cgroupfs') return [cgroupfs];
  if (driver === 'systemd') return [systemd];
  return parent?.endsWith('.slice') ? [systemd, cgroupfs] : [cgroupfs, systemd];
}

/** The paths a /proc/<pid>/cgroup text gives per v1 controller and for cgroup2 ("0::"). */
export function parseProcCgroup(text: string): { v1: Map<string, string>; unified?: string } {
  const v1 = new Map<string, string>();
  let unified: string | undefined;
  for (const line of text.split('\n')) {
    const a = line.indexOf(':');
    const b = line.indexOf(':', a + 1);
    if (a < 0 || b < 0) continue;
    const controllers = line.slice(a + 1, b);
    const p = line.slice(b + 1);
    if (controllers === '') unified = p;
    else for (const c of controllers.split(',')) v1.set(c, p);
  }
  return { v1, unified };
}

function sourcesAt(layout: CgroupLayout, fs: ReadOnlyFs, cpuPath: string, memPath: string) {
  let cpu: CpuSource | undefined;
  if (layout.cpuacctRoot !== undefined) {
    const usageFile = `${layout.cpuacctRoot}${cpuPath}/cpuacct.usage`;
    if (fs.exists(usageFile)) cpu = { version: 1, usageFile };
  } else if (layout.unifiedRoot !== undefined) {
    // cpu.stat's usage_usec is there even when the cpu controller is not enabled.
    const statFile = `${layout.unifiedRoot}${cpuPath}/cpu.stat`;
    if (fs.exists(statFile)) cpu = { version: 2, statFile };
  }
  let memory: MemorySource | undefined;
  if (layout.memoryRoot !== undefined) {
    const dir = `${layout.memoryRoot}${memPath}`;
    if (fs.exists(`${dir}/memory.usage_in_bytes`)) {
      memory = { version: 1, usageFile: `${dir}/memory.usage_in_bytes`, statFile: `${dir}/memory.stat` };
    }
  } else if (layout.unifiedRoot !== undefined && layout.unifiedControllers.includes('memory')) {
    const dir = `${layout.unifiedRoot}${memPath}`;
    if (fs.exists(`${dir}/memory.current`)) {
      memory = { version: 2, currentFile: `${dir}/memory.current`, statFile: `${dir}/memory.stat` };
    }
  }
  return { cpu, memory };
}

function normalize(p: string): string {
  const n = path.posix.normalize(p.startsWith('/') ? p : `/${p}`);
  return n === '/' ? '' : n.replace(/\/$/, '');
}

/**
 * Finds a container's accounting files. With a pid, /proc/<pid>/cgroup names the cgroup
 * exactly; the path is trusted only when it carries the container id, since a pid can be
 * reused once the container has exited. Otherwise Docker's naming is tried, most likely
 * first. Undefined when the container has no cgroup (it has exited or never ran).
 */
export function resolveContainerCgroup(
  layout: CgroupLayout,
  fs: ReadOnlyFs,
  hint: ContainerCgroupHint,
  driver?: CgroupDriver,
): ContainerCgroup | undefined {
  if (hint.pid !== undefined && hint.pid > 0) {
    const text = fs.readText(`/proc/${hint.pid}/cgroup`);
    if (text !== undefined) {
      const own = parseProcCgroup(text);
      const cpuPath = layout.cpuacctRoot !== undefined ? own.v1.get('cpuacct') : own.unified;
      const memPath = layout.memoryRoot !== undefined ? own.v1.get('memory') : own.unified;
      if (cpuPath?.includes(hint.id) && memPath?.includes(hint.id)) {
        const found = sourcesAt(layout, fs, normalize(cpuPath), normalize(memPath));
        if (found.cpu || found.memory) return { path: normalize(cpuPath), ...found };
      }
    }
  }
  for (const candidate of candidateCgroupPaths(hint, driver)) {
    const p = normalize(candidate);
    const found = sourcesAt(layout, fs, p, p);
    if (found.cpu || found.memory) return { path: p, ...found };
  }
  return undefined;
}
