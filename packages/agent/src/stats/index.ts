export { UsageSampler, type ContainerRef, type PodContainers, type UsageSamplerOptions } from './usage-sampler';
export { detectCgroupLayout, parseCgroupMounts, type CgroupLayout } from './cgroup-layout';
export {
  resolveContainerCgroup,
  candidateCgroupPaths,
  expandSlice,
  type CgroupDriver,
  type ContainerCgroup,
  type ContainerCgroupHint,
  type CpuSource,
  type MemorySource,
} from './container-cgroup';
export { readCpuUsageNs, readWorkingSetBytes, workingSetBytes } from './cgroup-readers';
export { readNodeCpuTimes, readNodeWorkingSetBytes, nodeCoresBetween } from './node-readers';
export { hostFs, type ReadOnlyFs } from './read-only-fs';
export { systemStatsClock, type StatsClock } from './stats-clock';
export { podContainersFromLabels, type LabelledContainer } from './pod-containers';
