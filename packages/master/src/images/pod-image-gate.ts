import type { Clock, Pod } from '@orchard/api';
import type { ImagePlatformResolver } from './platform-resolver';
import type { SecretLookup } from './pull-credentials';
import { pullCredentialsFor } from './pull-credentials';

/** What the scheduler needs to know about images from registries (a seam its tests fake). */
export interface RegistryPlatforms {
  /**
   * Starts resolving the platforms of the pod's images. Undefined when nothing is to be
   * waited for (all known, or only being refreshed); else a promise that settles when
   * they are resolved or the bounded wait is over, whichever comes first. Never rejects.
   */
  admit(pod: Pod): Promise<void> | undefined;
  /** The platforms of an image as its registry said; empty or undefined: unknown. */
  platforms(image: string): readonly string[] | undefined;
}

export interface PodImageGateDeps {
  readonly resolver: ImagePlatformResolver;
  readonly secrets: SecretLookup;
  /** True when nodes report the image themselves (status.images): the registry is not asked. */
  readonly reportedByNodes: (image: string) => boolean;
  readonly clock: Clock;
  /** Longest a pod waits for its images' first answer before it is scheduled as unknown. */
  readonly maxWaitMs: number;
}

/** Default bound on the wait of a pod whose images were never resolved. */
export const DEFAULT_MAX_WAIT_MS = 2000;

/**
 * Connects the scheduler to the registry: a pod entering the queue has its images resolved
 * asynchronously; the scheduler places it once they are, or after `maxWaitMs`, never
 * blocking the loop meanwhile. An expired answer is refreshed in the background while it
 * is still used, so only an image never seen before costs a wait.
 */
export class PodImageGate implements RegistryPlatforms {
  constructor(private readonly deps: PodImageGateDeps) {}

  admit(pod: Pod): Promise<void> | undefined {
    const { resolver } = this.deps;
    const images = this.imagesToResolve(pod);
    if (images.length === 0 || resolver.fresh(images)) return undefined;
    const done = resolver.resolve(images, (registry) => pullCredentialsFor(pod, registry, this.deps.secrets));
    if (images.every((i) => resolver.platforms(i) !== undefined)) return undefined;
    return new Promise<void>((resolve) => {
      const timer = this.deps.clock.setTimeout(resolve, this.deps.maxWaitMs);
      void done.then(() => {
        timer.cancel();
        resolve();
      });
    });
  }

  platforms(image: string): readonly string[] | undefined {
    return this.deps.resolver.platforms(image);
  }

  /**
   * The pod's images the registry is asked about: not those nodes report (made locally,
   * their platform is known), unless the pod pulls them anyway (imagePullPolicy Always),
   * nor those never pulled (imagePullPolicy Never).
   */
  private imagesToResolve(pod: Pod): string[] {
    const out: string[] = [];
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
      // Never pulled: the node runs what it has, which the registry cannot speak for.
      if (!c.image || out.includes(c.image) || c.imagePullPolicy === 'Never') continue;
      if (c.imagePullPolicy !== 'Always' && this.deps.reportedByNodes(c.image)) continue;
      out.push(c.image);
    }
    return out;
  }
}
