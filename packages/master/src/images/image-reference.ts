/** Docker Hub's registry name, as image references and dockerconfigjson keys spell it. */
export const DOCKER_HUB = 'docker.io';
/** The host that serves Docker Hub's registry API. */
const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** An image reference split the way Docker pulls it. */
export interface ImageReference {
  /** Registry host[:port] ("docker.io" for Docker Hub). */
  readonly registry: string;
  /** The host[:port] whose /v2/ API serves the registry ("registry-1.docker.io" for Docker Hub). */
  readonly apiHost: string;
  /** Repository path ("library/nginx" for "nginx"). */
  readonly repository: string;
  /** Tag or digest ("latest" when the reference has neither). */
  readonly reference: string;
}

const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[A-Fa-f0-9]{32,}$/;

/**
 * Parses an image reference as Docker does: the first path component is a registry when it
 * looks like a host (a dot, a port, or "localhost"), else the image is on Docker Hub, where
 * single names live under "library/". Throws on a reference Docker would refuse.
 */
export function parseImageReference(image: string): ImageReference {
  let rest = image.trim();
  if (!rest) throw new Error('image reference is empty');
  let reference = 'latest';
  const at = rest.indexOf('@');
  if (at >= 0) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(reference)) throw new Error(`image reference "${image}" has an invalid digest`);
  }
  let registry = DOCKER_HUB;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      registry = DOCKER_HUB_ALIASES.has(first.toLowerCase()) ? DOCKER_HUB : first.toLowerCase();
      rest = rest.slice(slash + 1);
    }
  }
  // A tag follows the last colon after the last slash (a colon before it is a registry port).
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    const tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw new Error(`image reference "${image}" has an invalid tag`);
    if (at < 0) reference = tag; // With both, the digest is what gets pulled.
  }
  let repository = rest;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (!REPOSITORY.test(repository)) throw new Error(`image reference "${image}" has an invalid repository name`);
  return { registry, apiHost: registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry, repository, reference };
}

/** A dockerconfigjson key ("https://index.docker.io/v1/", "host:5000") as a registry name. */
export function normalizeRegistryKey(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  return DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB : host;
}
