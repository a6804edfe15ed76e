import type { ContainerCreateSpec, ContainerRuntime, RegistryAuth } from '../runtime/container-runtime';
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
 *
 * An image found (or pulled) once is remembered as present: every pod start used to ask
 * the engine about its images (the pause image and each app image), a round trip per
 * container that twenty pods starting together pay forty times. Images disappear only
 * when someone removes them by hand; createContainer() then checks (and pulls) again when
 * the engine answers "No such image".
 */
export class ImagePuller {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly present = new Set<string>();
  private readonly checking = new Map<string, Promise<boolean>>();

  constructor(private readonly runtime: ContainerRuntime) {}

  /**
   * @throws ImageNeverPullError when policy Never finds no image; ImagePullError when a
   * pull fails (with the registry's message).
   */
  async ensure(image: string, policy: string, auth?: RegistryAuth): Promise<void> {
    const effective = effectivePullPolicy(image, policy);
    if (effective !== 'Always' && (await this.isPresent(image))) return;
    if (effective === 'Never') throw new ImageNeverPullError(image);
    // Pods pulling with other credentials do not share a pull (one may be refused).
    const key = `${image}\0${auth?.serveraddress ?? ''}\0${auth?.username ?? ''}\0${auth?.password ?? ''}`;
    let pull = this.inFlight.get(key);
    if (!pull) {
      pull = this.runtime.pullImage(image, auth).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pull);
    }
    await pull;
    this.present.add(image);
  }

  /**
   * Creates a container of an image ensured before. When the engine no longer has the
   * image (removed by hand since it was seen), the image is ensured again per the policy
   * and the create tried once more.
   */
  async createContainer(spec: ContainerCreateSpec, policy: string, auth?: RegistryAuth): Promise<string> {
    try {
      return await this.runtime.createContainer(spec);
    } catch (err) {
      if (!isMissingImage(err)) throw err;
      this.present.delete(spec.image);
      await this.ensure(spec.image, policy, auth);
      return this.runtime.createContainer(spec);
    }
  }

  /** Whether the engine has the image; callers asking at once share one question. */
  private async isPresent(image: string): Promise<boolean> {
    if (this.present.has(image)) return true;
    let check = this.checking.get(image);
    if (!check) {
      check = this.runtime.imagePresent(image).finally(() => this.checking.delete(image));
      this.checking.set(image, check);
    }
    const found = await check;
    if (found) this.present.add(image);
    return found;
  }
}

/** A create refused because the image is not on the engine (removed since it was checked). */
function isMissingImage(err: unknown): boolean {
  return /no such image/i.test((err as Error | undefined)?.message ?? '');
}

export { ImagePullError };
