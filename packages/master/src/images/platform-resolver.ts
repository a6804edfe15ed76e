import type { Clock, Logger } from '@orchard/api';
import type { HttpTransport } from './http-transport';
import { parseImageReference } from './image-reference';
import { InsecureRegistries } from './insecure-registries';
import type { RegistryCredentials } from './registry-client';
import { fetchImagePlatforms } from './registry-client';

/**
 * What the scheduler asks about images: the platforms ("os/architecture[/variant]") each
 * provides, learnt from its registry. Narrow so that tests and other sources can stand in.
 */
export interface ImagePlatformResolver {
  /**
   * The platforms last resolved for `image`: a list, empty when the registry could not say
   * (unknown: does not restrict placement), undefined when it was never resolved.
   */
  platforms(image: string): readonly string[] | undefined;
  /**
   * Resolves every image not cached or whose cache entry expired; settles (never rejects)
   * once each has an answer. `credentialsFor` gives the pull credentials for a registry.
   */
  resolve(images: readonly string[], credentialsFor: (registry: string) => RegistryCredentials | undefined): Promise<void>;
  /** True when every image has a cached answer that has not expired. */
  fresh(images: readonly string[]): boolean;
}

export interface RegistryResolverOptions {
  readonly transport: HttpTransport;
  readonly clock: Clock;
  readonly log: Logger;
  /** Registries spoken to over plain HTTP (--insecure-registry: "host:port" or an IPv4 CIDR). */
  readonly insecureRegistries: readonly string[];
  /** How long a registry's answer is kept. */
  readonly ttlMs?: number;
  /** How long a failure is kept before the registry is asked again. */
  readonly failureTtlMs?: number;
  /** Time allowed for one image's lookup (every request it makes). */
  readonly timeoutMs?: number;
  /** Lookups in flight at once. */
  readonly concurrency?: number;
  /** Image references kept; beyond it the oldest go first (they are asked again when needed). */
  readonly maxEntries?: number;
}

interface Entry {
  /** Last answer (empty = unknown); undefined before the first one. */
  platforms?: readonly string[];
  expiresAt: number;
  inflight?: Promise<void>;
}

const DEFAULT_TTL_MS = 10 * 60_000;
const DEFAULT_FAILURE_TTL_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_CONCURRENCY = 4;
const DEFAULT_MAX_ENTRIES = 4096;

/**
 * Resolves image platforms from registries (Docker Registry HTTP API v2), with a cache per
 * reference: answers for `ttlMs`, failures for `failureTtlMs` (a negative cache, so a
 * registry that is down is not asked for every pod). An expired answer is still served
 * while it is refreshed: a cluster that goes offline keeps what it learnt. At most
 * `concurrency` lookups run at once, each bounded by `timeoutMs`.
 */
export class RegistryImagePlatformResolver implements ImagePlatformResolver {
  private readonly cache = new Map<string, Entry>();
  /** Images whose failure was logged: once each, not once per pod or retry. */
  private readonly loggedUnknown = new Set<string>();
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly ttlMs: number;
  private readonly failureTtlMs: number;
  private readonly timeoutMs: number;
  private readonly concurrency: number;
  private readonly insecure: InsecureRegistries;

  constructor(private readonly opts: RegistryResolverOptions) {
    this.ttlMs = opts.ttlMs ?? DEFAULT_TTL_MS;
    this.failureTtlMs = opts.failureTtlMs ?? DEFAULT_FAILURE_TTL_MS;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
    this.insecure = new InsecureRegistries(opts.insecureRegistries);
  }

  platforms(image: string): readonly string[] | undefined {
    return this.cache.get(image)?.platforms;
  }

  fresh(images: readonly string[]): boolean {
    const now = this.opts.clock.now();
    return images.every((image) => {
      const e = this.cache.get(image);
      return e?.platforms !== undefined && e.expiresAt > now;
    });
  }

  resolve(images: readonly string[], credentialsFor: (registry: string) => RegistryCredentials | undefined): Promise<void> {
    const now = this.opts.clock.now();
    const waits: Promise<void>[] = [];
    for (const image of new Set(images)) {
      let e = this.cache.get(image);
      if (!e) {
        this.evictBeyond((this.opts.maxEntries ?? DEFAULT_MAX_ENTRIES) - 1);
        this.cache.set(image, (e = { expiresAt: 0 }));
      }
      if (!e.inflight && e.expiresAt <= now) {
        const entry = e;
        entry.inflight = this.lookup(image, credentialsFor).finally(() => (entry.inflight = undefined));
      }
      if (e.inflight) waits.push(e.inflight);
    }
    return Promise.all(waits).then(() => undefined);
  }

  /** One image's lookup, in its turn; records the answer or the failure. Never rejects. */
  private async lookup(image: string, credentialsFor: (registry: string) => RegistryCredentials | undefined): Promise<void> {
    await this.acquire();
    const controller = new AbortController();
    const timer = this.opts.clock.setTimeout(() => controller.abort(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    const entry = this.cache.get(image)!;
    try {
      const ref = parseImageReference(image);
      const insecure = this.insecure.has(ref.registry);
      const lookup = fetchImagePlatforms(ref, { transport: this.opts.transport, insecure, credentials: credentialsFor(ref.registry), signal: controller.signal });
      // The transport should honour the signal; the race makes the bound hold even if it does not.
      const aborted = new Promise<never>((_, reject) => {
        if (controller.signal.aborted) reject(controller.signal.reason);
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
      });
      lookup.catch(() => undefined);
      const platforms = await Promise.race([lookup, aborted]);
      entry.platforms = platforms;
      entry.expiresAt = this.opts.clock.now() + this.ttlMs;
      this.loggedUnknown.delete(image);
      this.opts.log.debug({ image, platforms }, 'image platforms resolved from the registry');
    } catch (err) {
      // Unknown: placement is not restricted by this image. An earlier answer is kept (a
      // registry that went away does not make a known image unknown).
      entry.platforms ??= [];
      entry.expiresAt = this.opts.clock.now() + this.failureTtlMs;
      if (!this.loggedUnknown.has(image)) {
        this.loggedUnknown.add(image);
        this.opts.log.info({ image, err: errorText(err) }, 'image platforms unknown (registry lookup failed); the architecture filter lets this image anywhere');
      }
    } finally {
      timer.cancel();
      this.release();
    }
  }

  /** Drops the oldest entries (insertion order) not being looked up, down to `max`. */
  private evictBeyond(max: number): void {
    for (const [image, e] of this.cache) {
      if (this.cache.size <= max) return;
      if (!e.inflight) {
        this.cache.delete(image);
        this.loggedUnknown.delete(image);
      }
    }
  }

  private async acquire(): Promise<void> {
    if (this.running < this.concurrency) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next(); // The slot passes on as is.
    else this.running--;
  }
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}
