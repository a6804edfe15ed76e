import { rfc3339, type ContainerUsage, type PodUsage, type ResourceUsage, type UsageReport } from '@orchard/api/agent';
import { readCpuUsageNs, readWorkingSetBytes } from './cgroup-readers';
import { detectCgroupLayout, type CgroupLayout } from './cgroup-layout';
import {
  resolveContainerCgroup,
  type CgroupDriver,
  type ContainerCgroup,
  type ContainerCgroupHint,
} from './container-cgroup';
import { nodeCoresBetween, readNodeCpuTimes, readNodeWorkingSetBytes } from './node-readers';
import { hostFs, type ReadOnlyFs } from './read-only-fs';
import type { CpuTimes } from './stat-text';
import { systemStatsClock, type StatsClock } from './stats-clock';

/** One Docker container of a pod, as the agent knows it from its labels and inspect. */
export interface ContainerRef extends ContainerCgroupHint {
  /** The container's name in the pod spec (label io.orchard.container.name). */
  name: string;
  /**
   * The pod's infra container (name "POD"): counted in the pod's total, as kubelet counts
   * the pause container in the pod cgroup, but not listed among the pod's containers.
   */
  infra?: boolean;
}

/** A pod and the Docker containers that run it on this node. */
export interface PodContainers {
  uid: string;
  namespace: string;
  name: string;
  containers: readonly ContainerRef[];
}

export interface UsageSamplerOptions {
  /** Defaults to the host's filesystem. */
  fs?: ReadOnlyFs;
  /** Defaults to the system clocks. */
  clock?: StatsClock;
  /** Docker's cgroup driver (docker info: CgroupDriver); narrows the cgroup path guess. */
  cgroupDriver?: CgroupDriver;
  /** The cgroup layout; detected from /proc/self/mountinfo when not given. */
  layout?: CgroupLayout;
}

interface Tracked {
  cgroup: ContainerCgroup;
  cpuNs?: number;
  atMs?: number;
}

/**
 * Samples CPU and memory of the node, its pods and their containers straight from cgroup
 * accounting and /proc: no process spawned, no Docker API call, three small reads per
 * container and two for the node, one reused read buffer. Cheap enough to run every 10 s
 * on a Pi Zero.
 *
 * CPU in cores is a rate, so it needs two readings: a container (and the node) appears in
 * the report from the second sample that sees it on. Containers that cannot be read (not
 * running, or gone) are left out; a pod is reported when at least one of its containers is,
 * with the sum of those containers.
 */
export class UsageSampler {
  /** The cgroup hierarchy found on this host; undefined when none is mounted. */
  readonly layout: CgroupLayout | undefined;
  private readonly fs: ReadOnlyFs;
  private readonly clock: StatsClock;
  private readonly driver: CgroupDriver | undefined;
  private readonly tracked = new Map<string, Tracked>();
  private nodeTimes: CpuTimes | undefined;

  constructor(opts: UsageSamplerOptions = {}) {
    this.fs = opts.fs ?? hostFs();
    this.clock = opts.clock ?? systemStatsClock;
    this.driver = opts.cgroupDriver;
    this.layout = opts.layout ?? detectCgroupLayout(this.fs);
  }

  /**
   * Takes one sample of the node and of the given pods' containers and returns the usage
   * since the previous sample, in the shape of the node stream's UsageReport. Containers
   * not listed any more are forgotten.
   */
  sample(pods: readonly PodContainers[]): UsageReport {
    const nowMs = this.clock.monotonicMs();
    const timestamp = rfc3339(this.clock.wallMs());
    const seen = new Set<string>();
    const report: UsageReport = { node: this.sampleNode(timestamp), pods: [] };

    for (const pod of pods) {
      let cpuCores = 0;
      let memoryWorkingSetBytes = 0;
      let counted = 0;
      const containers: ContainerUsage[] = [];
      for (const ref of pod.containers) {
        seen.add(ref.id);
        const usage = this.sampleContainer(ref, nowMs, timestamp);
        if (!usage) continue;
        cpuCores += usage.cpuCores;
        memoryWorkingSetBytes += usage.memoryWorkingSetBytes;
        counted++;
        if (!ref.infra) containers.push({ name: ref.name, usage });
      }
      if (counted === 0) continue;
      const podUsage: PodUsage = {
        namespace: pod.namespace,
        name: pod.name,
        uid: pod.uid,
        usage: { cpuCores, memoryWorkingSetBytes, timestamp },
        containers,
      };
      report.pods.push(podUsage);
    }

    for (const id of this.tracked.keys()) if (!seen.has(id)) this.tracked.delete(id);
    return report;
  }

  private sampleNode(timestamp: string): ResourceUsage | undefined {
    const times = readNodeCpuTimes(this.fs);
    const memory = readNodeWorkingSetBytes(this.fs);
    const prev = this.nodeTimes;
    this.nodeTimes = times;
    if (!times || !prev || memory === undefined) return undefined;
    const cores = nodeCoresBetween(prev, times);
    if (cores === undefined) return undefined;
    return { cpuCores: cores, memoryWorkingSetBytes: memory, timestamp };
  }

  private sampleContainer(ref: ContainerRef, nowMs: number, timestamp: string): ResourceUsage | undefined {
    if (!this.layout) return undefined;
    let t = this.tracked.get(ref.id);
    if (!t) {
      const cgroup = resolveContainerCgroup(this.layout, this.fs, ref, this.driver);
      // Not cached when missing: a container that is starting gets its cgroup any moment.
      if (!cgroup) return undefined;
      t = { cgroup };
      this.tracked.set(ref.id, t);
    }
    const cpuNs = t.cgroup.cpu ? readCpuUsageNs(this.fs, t.cgroup.cpu) : undefined;
    const memory = t.cgroup.memory ? readWorkingSetBytes(this.fs, t.cgroup.memory) : undefined;
    if (cpuNs === undefined || memory === undefined) {
      // The cgroup went away (the container stopped): look it up afresh next time.
      this.tracked.delete(ref.id);
      return undefined;
    }
    const prevNs = t.cpuNs;
    const prevMs = t.atMs;
    t.cpuNs = cpuNs;
    t.atMs = nowMs;
    // A counter that went backwards belongs to a new cgroup under the same name: start over.
    if (prevNs === undefined || prevMs === undefined || cpuNs < prevNs || nowMs <= prevMs) return undefined;
    const cpuCores = (cpuNs - prevNs) / ((nowMs - prevMs) * 1e6);
    return { cpuCores, memoryWorkingSetBytes: memory, timestamp };
  }
}
