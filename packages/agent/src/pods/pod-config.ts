import { createHash } from 'node:crypto';
import { podReferences, type ConfigMap, type Pod, type Secret } from '@orchard/api/agent';

/** Read access to the ConfigMaps and Secrets the master sent with the desired pods. */
export interface ConfigLookup {
  configMap(namespace: string, name: string): ConfigMap | undefined;
  secret(namespace: string, name: string): Secret | undefined;
}

/**
 * The ConfigMaps and Secrets of the node's pods, exactly as the last DesiredPods
 * carried them (the master sends only what the pods reference). Kept in memory only:
 * Secrets never touch the disk through this.
 */
export class PodConfig implements ConfigLookup {
  private configMaps = new Map<string, ConfigMap>();
  private secrets = new Map<string, Secret>();
  private digests = new Map<string, string>();

  /** Replaces the whole set. */
  set(configMaps: readonly ConfigMap[], secrets: readonly Secret[]): void {
    this.configMaps = new Map(configMaps.map((c) => [keyOf(c), c]));
    this.secrets = new Map(secrets.map((s) => [keyOf(s), s]));
    const digests = new Map<string, string>();
    for (const [k, c] of this.configMaps) digests.set(`configMap:${k}`, digest([['', ''], ...sorted(c.data, (v) => v), ...sorted(c.binaryData, (v) => Buffer.from(v).toString('base64'))]));
    for (const [k, s] of this.secrets) digests.set(`secret:${k}`, digest([['type', s.type], ...sorted(s.data, (v) => Buffer.from(v).toString('base64'))]));
    this.digests = digests;
  }

  configMap(namespace: string, name: string): ConfigMap | undefined {
    return this.configMaps.get(`${namespace}/${name}`);
  }

  secret(namespace: string, name: string): Secret | undefined {
    return this.secrets.get(`${namespace}/${name}`);
  }

  /**
   * A digest of the content of everything the pod references (absent objects
   * included), so a pod is synced again when what it reads changed, and only then.
   */
  fingerprint(pod: Pod): string {
    const refs = podReferences([pod]);
    const parts: Array<[string, string]> = [];
    for (const k of [...refs.configMaps].sort()) parts.push([`configMap:${k}`, this.digests.get(`configMap:${k}`) ?? 'absent']);
    for (const k of [...refs.secrets].sort()) parts.push([`secret:${k}`, this.digests.get(`secret:${k}`) ?? 'absent']);
    return parts.length === 0 ? '' : digest(parts);
  }
}

function keyOf(o: ConfigMap | Secret): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

function sorted<V>(m: Record<string, V>, str: (v: V) => string): Array<[string, string]> {
  return Object.keys(m)
    .sort()
    .map((k) => [k, str(m[k]!)]);
}

function digest(parts: ReadonlyArray<readonly [string, string]>): string {
  const h = createHash('sha256');
  for (const [k, v] of parts) h.update(`${k.length}:${k}${v.length}:${v}`);
  return h.digest('hex');
}
