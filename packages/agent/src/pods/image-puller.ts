import type { ContainerRuntime, RegistryAuth } from '../runtime/container-runtime';
import { ImagePullError } from '../runtime/errors';

/** The container cannot run because its image is missing and may not be pulled. */
export class ImageNeverPullError extends Error {
  constructor(image: string) {
    super(`Container image "${image}" is not present with pull policy of Never`);
    this.name = 'ImageNeverPullError';
  }
}

/** Kubernetes' default: Always for ":latest" or no tag, IfNotPresent otherwise. */
export function effectivePullPolicy(image: string, policy: string): string {
  if (policy) return policy;
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/**
 * Makes images present according to a pull policy. Concurrent requests for one image
 * share one pull, so twenty replicas starting together pull once.
 */
export class ImagePuller {
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly runtime: ContainerRuntime) {}

  /**
   * @throws ImageNeverPullError when policy Never finds no image; ImagePullError when a
   * pull fails (with the registry's message).
   */
  async ensure(image: string, policy: string, auth?: RegistryAuth): Promise<void> {
    const effective = effectivePullPolicy(image, policy);
    if (effective !== 'Always' && (await this.runtime.imagePresent(image))) return;
    if (effective === 'Never') throw new ImageNeverPullError(image);
    // Pods pulling with other credentials do not share a pull (one may be refused).
    const key = `${image}\0${auth?.serveraddress ?? ''}\0${auth?.username ?? ''}\0${auth?.password ?? ''}`;
    let pull = this.inFlight.get(key);
    if (!pull) {
      pull = this.runtime.pullImage(image, auth).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pull);
    }
    await pull;
  }
}

export { ImagePullError };
