import { type ApiObject, type ConfigMap, type Pod, type Secret } from '@orchard/api';
import type { Informer } from '../store/cache';

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

/** The part of an informer the node streams read ConfigMaps and Secrets from. */
export type ConfigSource = Pick<Informer, 'get' | 'addHandler' | 'removeHandler'>;

/**
 * The ConfigMaps and Secrets of the cluster as the node streams need them: exactly the
 * objects a node's pods reference (a node sees only what its pods use), and a change
 * notification naming the object that changed.
 */
export class PodConfigObjects {
  constructor(
    private readonly configMaps: ConfigSource,
    private readonly secrets: ConfigSource,
  ) {}

  /** Copies of the referenced objects that exist (a missing one is the agent's to report). */
  objectsFor(refs: PodReferences): { configMaps: ConfigMap[]; secrets: Secret[] } {
    const configMaps: ConfigMap[] = [];
    const secrets: Secret[] = [];
    for (const key of [...refs.configMaps].sort()) {
      const [ns, name] = split(key);
      const o = this.configMaps.get(ns, name);
      if (o?.resource?.$case === 'configMap') configMaps.push(o.resource.configMap);
    }
    for (const key of [...refs.secrets].sort()) {
      const [ns, name] = split(key);
      const o = this.secrets.get(ns, name);
      if (o?.resource?.$case === 'secret') secrets.push(o.resource.secret);
    }
    return { configMaps, secrets };
  }

  /**
   * Calls fn with the kind and "namespace/name" of every ConfigMap or Secret that is
   * created, changed or deleted. Returns the unsubscribe function.
   */
  onChange(fn: (kind: 'configMap' | 'secret', key: string) => void): () => void {
    const handlerFor = (kind: 'configMap' | 'secret') => {
      const call = (o: ApiObject) => {
        const m = o.resource ? (o.resource as { configMap?: ConfigMap; secret?: Secret })[kind]?.metadata : undefined;
        if (m) fn(kind, `${m.namespace}/${m.name}`);
      };
      return { onAdd: call, onUpdate: (_old: ApiObject, o: ApiObject) => call(o), onDelete: call };
    };
    const cmHandler = handlerFor('configMap');
    const secretHandler = handlerFor('secret');
    this.configMaps.addHandler(cmHandler);
    this.secrets.addHandler(secretHandler);
    return () => {
      this.configMaps.removeHandler(cmHandler);
      this.secrets.removeHandler(secretHandler);
    };
  }
}

function split(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}
