import { type ApiObject, type ConfigMap, type PodReferences, type Secret } from '@orchard/api';
import type { Informer } from '../store/cache';

export { addPodReferences, podReferences, type PodReferences } from '@orchard/api';

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
