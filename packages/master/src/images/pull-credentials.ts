import { DOCKER_CONFIG_JSON_KEY, DOCKER_CONFIG_JSON_TYPE, type Pod, type Secret } from '@orchard/api';
import { normalizeRegistryKey } from './image-reference';
import type { RegistryCredentials } from './registry-client';

/** Reads a Secret of the pod's namespace (undefined when it does not exist). */
export type SecretLookup = (namespace: string, name: string) => Secret | undefined;

interface DockerConfigEntry {
  auth?: string;
  username?: string;
  password?: string;
}

/**
 * The credentials the pod's imagePullSecrets (kubernetes.io/dockerconfigjson) hold for
 * `registry`: the first Secret, in the pod's order, with an entry for it, as the agent
 * chooses them when it pulls. A missing or unreadable Secret is skipped.
 */
export function pullCredentialsFor(pod: Pod, registry: string, secrets: SecretLookup): RegistryCredentials | undefined {
  for (const ref of pod.spec?.imagePullSecrets ?? []) {
    const secret = secrets(pod.metadata?.namespace ?? 'default', ref.name);
    if (!secret || secret.type !== DOCKER_CONFIG_JSON_TYPE) continue;
    const raw = secret.data[DOCKER_CONFIG_JSON_KEY];
    if (!raw) continue;
    let auths: Record<string, DockerConfigEntry>;
    try {
      auths = (JSON.parse(Buffer.from(raw).toString('utf8')) as { auths?: Record<string, DockerConfigEntry> }).auths ?? {};
    } catch {
      continue; // Validated when written; an unreadable one gives no credentials.
    }
    for (const [key, entry] of Object.entries(auths)) {
      if (normalizeRegistryKey(key) !== registry) continue;
      const creds = credentialsOf(entry);
      if (creds) return creds;
    }
  }
  return undefined;
}

function credentialsOf(entry: DockerConfigEntry): RegistryCredentials | undefined {
  if (entry.username !== undefined || entry.password !== undefined) return { username: entry.username ?? '', password: entry.password ?? '' };
  if (!entry.auth) return undefined;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
