import type { Container, EnvVarSource, Pod } from '@orchard/api/agent';
import { ContainerConfigError } from './container-config-error';
import type { ConfigLookup } from './pod-config';

/** Kubernetes' rule for names envFrom may define (others are skipped, as Kubernetes does). */
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** No ConfigMaps or Secrets at all (a pod resolved without a master's set). */
export const NO_CONFIG: ConfigLookup = { configMap: () => undefined, secret: () => undefined };

/**
 * The variables of a container's envFrom, in order (a later source wins), each key
 * with the source's prefix. A missing source that is not optional is an error worded
 * like Kubernetes ("configmap "x" not found").
 * @throws ContainerConfigError
 */
export function envFromValues(pod: Pod, container: Container, config: ConfigLookup): Map<string, string> {
  const ns = pod.metadata!.namespace;
  const values = new Map<string, string>();
  for (const src of container.envFrom) {
    let data: Record<string, string> | undefined;
    if (src.configMapRef) {
      const cm = config.configMap(ns, src.configMapRef.name);
      if (!cm && !src.configMapRef.optional) throw new ContainerConfigError(`configmap "${src.configMapRef.name}" not found`);
      data = cm?.data;
    } else if (src.secretRef) {
      const s = config.secret(ns, src.secretRef.name);
      if (!s && !src.secretRef.optional) throw new ContainerConfigError(`secret "${src.secretRef.name}" not found`);
      data = s ? Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, Buffer.from(v).toString('utf8')])) : undefined;
    }
    for (const [k, v] of Object.entries(data ?? {})) {
      const name = src.prefix + k;
      if (ENV_NAME.test(name)) values.set(name, v);
    }
  }
  return values;
}

/**
 * The value of a configMapKeyRef or secretKeyRef; undefined when the reference is
 * optional and its object or key is missing (the variable is then not set).
 * @throws ContainerConfigError worded like Kubernetes: `couldn't find key K in ConfigMap ns/name`.
 */
export function keyRefValue(pod: Pod, from: EnvVarSource, config: ConfigLookup): string | undefined {
  const ns = pod.metadata!.namespace;
  if (from.configMapKeyRef) {
    const ref = from.configMapKeyRef;
    const cm = config.configMap(ns, ref.name);
    if (!cm) {
      if (ref.optional) return undefined;
      throw new ContainerConfigError(`configmap "${ref.name}" not found`);
    }
    const v = cm.data[ref.key] ?? (cm.binaryData[ref.key] !== undefined ? Buffer.from(cm.binaryData[ref.key]!).toString('utf8') : undefined);
    if (v === undefined && !ref.optional) throw new ContainerConfigError(`couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}`);
    return v;
  }
  if (from.secretKeyRef) {
    const ref = from.secretKeyRef;
    const s = config.secret(ns, ref.name);
    if (!s) {
      if (ref.optional) return undefined;
      throw new ContainerConfigError(`secret "${ref.name}" not found`);
    }
    const v = s.data[ref.key];
    if (v === undefined && !ref.optional) throw new ContainerConfigError(`couldn't find key ${ref.key} in Secret ${ns}/${ref.name}`);
    return v === undefined ? undefined : Buffer.from(v).toString('utf8');
  }
  return undefined;
}
