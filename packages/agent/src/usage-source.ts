import type { UsageSource } from './agent';
import { nodeSelectorLabels } from './pods/container-labels';
import { UsageSampler, podContainersFromLabels, type CgroupDriver } from './stats';

/**
 * The node's resource usage read from cgroup accounting: the running containers of this
 * node's pods, grouped by their labels, sampled by the stats subsystem. The sampler is
 * made on first use, once Docker has said which cgroup driver it uses.
 */
export function cgroupUsageSource(): UsageSource {
  let sampler: UsageSampler | undefined;
  return async (runtime, nodeName) => {
    if (!sampler) {
      const driver = (await runtime.info()).cgroupDriver;
      sampler = new UsageSampler({ cgroupDriver: driver === 'systemd' || driver === 'cgroupfs' ? (driver as CgroupDriver) : undefined });
    }
    return sampler.sample(podContainersFromLabels(await runtime.listContainers(nodeSelectorLabels(nodeName))));
  };
}
