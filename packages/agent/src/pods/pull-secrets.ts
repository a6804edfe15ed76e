import { DOCKER_CONFIG_JSON_KEY, DOCKER_CONFIG_JSON_TYPE, type Pod, type Secret } from '@orchard/api/agent';
import type { RegistryAuth } from '../runtime/container-runtime';
import type { ConfigLookup } from './pod-config';

/** The legacy Secret type of registry credentials (a bare map of registries). */
const DOCKERCFG_TYPE = 'kubernetes.io/dockercfg';
const DOCKERCFG_KEY = '.dockercfg';
/** Docker Hub's names; an image without a registry host is pulled from it. */
const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

interface DockerConfigEntry {
  auth?: string;
  username?: string;
  password?: string;
}

/**
 * The registry host an image is pulled from, as Docker decides it: the first path
 * component when it looks like a host (has a dot or a port, or is localhost), else
 * Docker Hub.
 */
export function registryOf(image: string): string {
  const slash = image.indexOf('/');
  if (slash < 0) return DOCKER_HUB;
  const first = image.slice(0, slash);
  if (first.includes('.') || first.includes(':') || first === 'localhost') return DOCKER_HUB_ALIASES.has(first) ? DOCKER_HUB : first;
  return DOCKER_HUB;
}

/** A dockerconfigjson key ("https://host:5000/v1/", "host:5000") as a bare host[:port]. */
export function normalizeRegistry(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '').toLowerCase();
  return DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB : host;
}

/** The registry entries of a dockerconfigjson or dockercfg Secret (nothing for other types or broken JSON). */
function entriesOf(secret: Secret): Record<string, DockerConfigEntry> {
  try {
    if (secret.type === DOCKER_CONFIG_JSON_TYPE && secret.data[DOCKER_CONFIG_JSON_KEY]) {
      const parsed = JSON.parse(Buffer.from(secret.data[DOCKER_CONFIG_JSON_KEY]!).toString('utf8')) as { auths?: Record<string, DockerConfigEntry> };
      return parsed.auths ?? {};
    }
    if (secret.type === DOCKERCFG_TYPE && secret.data[DOCKERCFG_KEY]) {
      return JSON.parse(Buffer.from(secret.data[DOCKERCFG_KEY]!).toString('utf8')) as Record<string, DockerConfigEntry>;
    }
  } catch {
    // The master validates dockerconfigjson; anything else unreadable gives no credentials.
  }
  return {};
}

function credentials(entry: DockerConfigEntry): { username: string; password: string } | undefined {
  if (entry.username !== undefined || entry.password !== undefined) return { username: entry.username ?? '', password: entry.password ?? '' };
  if (!entry.auth) return undefined;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The credentials a pod's imagePullSecrets hold for the registry of `image`: the first
 * Secret (in the pod's order) with an entry for that registry. A missing Secret is
 * skipped, as Kubernetes does, and the pull goes without credentials (the registry's
 * refusal then tells the user).
 */
export function pullAuthFor(pod: Pod, image: string, config: ConfigLookup): RegistryAuth | undefined {
  const registry = registryOf(image);
  for (const ref of pod.spec?.imagePullSecrets ?? []) {
    const secret = config.secret(pod.metadata!.namespace, ref.name);
    if (!secret) continue;
    for (const [key, entry] of Object.entries(entriesOf(secret))) {
      if (normalizeRegistry(key) !== registry) continue;
      const creds = credentials(entry);
      if (creds) return { ...creds, serveraddress: registry };
    }
  }
  return undefined;
}
