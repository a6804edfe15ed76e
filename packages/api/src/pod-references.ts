import type { Pod } from './gen/orchard/v1/pod';

/** The ConfigMaps and Secrets pods use, as "namespace/name" keys. */
export interface PodReferences {
  configMaps: Set<string>;
  secrets: Set<string>;
}

/**
 * What a pod reads from ConfigMaps and Secrets: env valueFrom, envFrom, configMap and
 * secret volumes (init containers included), and imagePullSecrets.
 */
export function addPodReferences(pod: Pod, into: PodReferences): PodReferences {
  const ns = pod.metadata?.namespace ?? '';
  const spec = pod.spec;
  if (!spec) return into;
  const cm = (name: string) => name && into.configMaps.add(`${ns}/${name}`);
  const secret = (name: string) => name && into.secrets.add(`${ns}/${name}`);
  for (const c of [...spec.initContainers, ...spec.containers]) {
    for (const e of c.env) {
      if (e.valueFrom?.configMapKeyRef) cm(e.valueFrom.configMapKeyRef.name);
      if (e.valueFrom?.secretKeyRef) secret(e.valueFrom.secretKeyRef.name);
    }
    for (const f of c.envFrom) {
      if (f.configMapRef) cm(f.configMapRef.name);
      if (f.secretRef) secret(f.secretRef.name);
    }
  }
  for (const v of spec.volumes) {
    if (v.configMap) cm(v.configMap.name);
    if (v.secret) secret(v.secret.secretName);
  }
  for (const r of spec.imagePullSecrets) secret(r.name);
  return into;
}

/** The references of a set of pods together. */
export function podReferences(pods: readonly Pod[]): PodReferences {
  const refs: PodReferences = { configMaps: new Set(), secrets: new Set() };
  for (const p of pods) addPodReferences(p, refs);
  return refs;
}
