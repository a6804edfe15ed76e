import type { Clock, Logger } from '@orchard/api';
import type { Informer } from '../store/cache';
import { fetchTransport, type HttpTransport } from './http-transport';
import { NodeImageIndex } from './node-image-index';
import { RegistryImagePlatformResolver } from './platform-resolver';
import { DEFAULT_MAX_WAIT_MS, PodImageGate } from './pod-image-gate';

export interface RegistryPlatformsOptions {
  readonly nodes: Informer;
  readonly secrets: Informer;
  readonly clock: Clock;
  readonly log: Logger;
  readonly insecureRegistries: readonly string[];
  readonly transport?: HttpTransport;
}

/** The scheduler's registry side, wired from the master's caches (see PodImageGate). */
export function registryPlatforms(opts: RegistryPlatformsOptions): PodImageGate {
  const resolver = new RegistryImagePlatformResolver({
    transport: opts.transport ?? fetchTransport,
    clock: opts.clock,
    log: opts.log,
    insecureRegistries: opts.insecureRegistries,
  });
  const reported = new NodeImageIndex(opts.nodes);
  return new PodImageGate({
    resolver,
    secrets: (namespace, name) => {
      const o = opts.secrets.peek(`secrets/${namespace}/${name}`);
      return o?.resource?.$case === 'secret' ? o.resource.secret : undefined;
    },
    reportedByNodes: (image) => reported.has(image),
    clock: opts.clock,
    maxWaitMs: DEFAULT_MAX_WAIT_MS,
  });
}
