import { createHash } from 'node:crypto';
import { Container, PodSecurityContext, Volume, type Pod } from '@orchard/api/agent';

/** JSON with object keys sorted, so equal values always hash equally. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

function digest(v: unknown): string {
  return createHash('sha256').update(canonicalJson(v)).digest('hex').slice(0, 16);
}

/**
 * The hash of what a container was created from. It covers the user's container spec
 * (proto3 JSON, which omits defaults, so a field added to the contract later does not
 * change existing hashes) and not the agent's mapping of it, so upgrading the agent
 * never restarts running containers. A different hash means: recreate the container.
 */
export function appSpecHash(container: Container, pod?: Pod): string {
  // Pod-level fields that shape the container enter only when set, so a pod without
  // them hashes as before.
  const security = pod?.spec?.securityContext;
  const mounted = new Set(container.volumeMounts.map((m) => m.name));
  const volumes = (pod?.spec?.volumes ?? []).filter((v) => mounted.has(v.name)).map((v) => Volume.toJSON(v));
  if (!security && volumes.length === 0) return digest(Container.toJSON(container));
  return digest({
    container: Container.toJSON(container),
    ...(security ? { podSecurityContext: PodSecurityContext.toJSON(security) } : {}),
    ...(volumes.length > 0 ? { volumes } : {}),
  });
}

/**
 * The hash of a pod's infra container: its image, hostname and the ports it publishes.
 * When it changes the whole pod is recreated, since every container shares its network.
 */
export function infraSpecHash(pod: Pod, pauseImage: string): string {
  const ports = (pod.spec?.containers ?? []).flatMap((c) =>
    c.ports.filter((p) => p.hostPort > 0).map((p) => [p.containerPort, p.hostPort, p.protocol, p.hostIp]),
  );
  // Fields added later enter the digest only when set, so existing sandboxes keep their hash.
  const extra = pod.spec?.hostNetwork ? { hostNetwork: true } : {};
  return digest({ image: pauseImage, hostname: pod.spec?.hostname || pod.metadata?.name, ports, ...extra });
}
