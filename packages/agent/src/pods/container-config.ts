import { parseCpuMillis, parseMemoryBytes, type Container, type EnvVar, type Pod } from '@orchard/api/agent';
import type { ContainerCreateSpec, PortBinding } from '../runtime/container-runtime';
import {
  INFRA_CONTAINER_NAME,
  containerLabels,
  containerName,
} from './container-labels';
import { ContainerConfigError } from './container-config-error';
import { appSpecHash, infraSpecHash } from './spec-hash';
import { containerMounts } from './volume-mounts';
import type { ProjectedVolume } from './config-files';
import { NO_CONFIG, envFromValues, keyRefValue } from './env-resolver';
import type { ConfigLookup } from './pod-config';

export { ContainerConfigError };

/** What an app container's configuration depends on beyond its pod. */
export interface AppContainerContext {
  nodeName: string;
  /** The infra container's id: app containers join its network namespace. */
  infraId: string;
  /** The infra container's address, for env fieldRef status.podIP. */
  podIP: string;
  hostIP: string;
  attempt: number;
  /** The ConfigMaps and Secrets env references read (none: every reference is missing). */
  config?: ConfigLookup;
  /** The pod's configMap and secret volumes as projected on the node. */
  projected?: ReadonlyMap<string, ProjectedVolume>;
}

/** Docker's CPU period; a CPU limit of 1 core = NanoCpus 1e9. */
const NANO_PER_MILLI = 1_000_000;
/** Kubernetes' MilliCPUToShares: 1 core = 1024 shares, never below 2. */
const MIN_SHARES = 2;
const SHARES_PER_CORE = 1024;

/** Kubernetes' hostname rule: the spec's hostname, else the pod name, cut to a DNS label. */
function podHostname(pod: Pod): string {
  return (pod.spec?.hostname || pod.metadata!.name).slice(0, 63);
}

/**
 * The infra container of a pod: it holds the network namespace (Docker's default bridge
 * network) the app containers join, and publishes the hostPorts of every container.
 * A hostNetwork pod uses the node's network instead: nothing to publish.
 */
export function infraContainerSpec(pod: Pod, pauseImage: string, nodeName: string): ContainerCreateSpec {
  if (pod.spec?.hostNetwork) {
    return {
      name: containerName(pod, INFRA_CONTAINER_NAME, 0),
      image: pauseImage,
      labels: containerLabels(pod, nodeName, INFRA_CONTAINER_NAME, infraSpecHash(pod, pauseImage), 0),
      env: [],
      networkMode: 'host',
      exposedPorts: [],
      portBindings: [],
    };
  }
  const portBindings: PortBinding[] = [];
  const exposedPorts: string[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports) {
      const protocol = (p.protocol || 'TCP').toLowerCase();
      exposedPorts.push(`${p.containerPort}/${protocol}`);
      if (p.hostPort > 0) {
        portBindings.push({ containerPort: p.containerPort, protocol, hostPort: p.hostPort, hostIp: p.hostIp });
      }
    }
  }
  return {
    name: containerName(pod, INFRA_CONTAINER_NAME, 0),
    image: pauseImage,
    labels: containerLabels(pod, nodeName, INFRA_CONTAINER_NAME, infraSpecHash(pod, pauseImage), 0),
    env: [],
    hostname: podHostname(pod),
    networkMode: 'bridge',
    exposedPorts: [...new Set(exposedPorts)],
    portBindings,
  };
}

/**
 * The Docker configuration of one app container, with Kubernetes semantics: command
 * replaces the image's ENTRYPOINT, args its CMD (args alone keep the ENTRYPOINT; command
 * alone drops the image's CMD); limits.cpu → NanoCpus, requests.cpu → CpuShares,
 * limits.memory → Memory. The container joins the infra container's network namespace;
 * Docker restarts nothing itself (the agent applies the pod's restart policy).
 * @throws ContainerConfigError naming the field Docker cannot honour.
 */
export function appContainerSpec(pod: Pod, container: Container, ctx: AppContainerContext): ContainerCreateSpec {
  const field = (f: string) => `spec.containers[${container.name}].${f}`;
  const env = resolveEnv(pod, container, ctx, field);
  const expand = (list: readonly string[]) => list.map((a) => expandVars(a, env));
  const spec: ContainerCreateSpec = {
    name: containerName(pod, container.name, ctx.attempt),
    image: container.image,
    labels: containerLabels(pod, ctx.nodeName, container.name, appSpecHash(container, pod), ctx.attempt),
    env: [...env].map(([k, v]) => `${k}=${v}`),
    networkMode: `container:${ctx.infraId}`,
    exposedPorts: [],
    portBindings: [],
  };
  if (container.command.length > 0) {
    spec.entrypoint = expand(container.command);
    // Docker would otherwise append the image's CMD to the new ENTRYPOINT.
    spec.cmd = expand(container.args);
  } else if (container.args.length > 0) {
    spec.cmd = expand(container.args);
  }
  if (container.workingDir) spec.workingDir = container.workingDir;

  const limits = container.resources?.limits ?? {};
  const requests = container.resources?.requests ?? {};
  const cpuLimit = quantity(limits.cpu, parseCpuMillis, field('resources.limits.cpu'));
  const cpuRequest = quantity(requests.cpu ?? limits.cpu, parseCpuMillis, field('resources.requests.cpu'));
  const memoryLimit = quantity(limits.memory, parseMemoryBytes, field('resources.limits.memory'));
  if (cpuLimit !== undefined && cpuLimit > 0) spec.nanoCpus = cpuLimit * NANO_PER_MILLI;
  spec.cpuShares = Math.max(MIN_SHARES, Math.floor(((cpuRequest ?? 0) * SHARES_PER_CORE) / 1000));
  if (memoryLimit !== undefined && memoryLimit > 0) spec.memoryBytes = memoryLimit;
  applySecurityContext(spec, pod, container, field);
  const mounts = containerMounts(pod, container, ctx.nodeName, field, ctx.projected);
  if (mounts.length > 0) spec.mounts = mounts;
  return spec;
}

/**
 * securityContext basics: the container's settings win over the pod's. runAsNonRoot is
 * checked against an explicit runAsUser only (the image's own user is not inspected).
 */
function applySecurityContext(spec: ContainerCreateSpec, pod: Pod, container: Container, field: (f: string) => string): void {
  const podSc = pod.spec?.securityContext;
  const sc = container.securityContext;
  const user = sc?.runAsUser ?? podSc?.runAsUser;
  const group = sc?.runAsGroup ?? podSc?.runAsGroup;
  if (group !== undefined && user === undefined) {
    throw new ContainerConfigError(`${field('securityContext.runAsGroup')}: needs runAsUser as well on this agent`);
  }
  if (user !== undefined) spec.user = group !== undefined ? `${user}:${group}` : String(user);
  if ((sc?.runAsNonRoot ?? podSc?.runAsNonRoot) && user !== undefined && Number(user) === 0) {
    throw new ContainerConfigError(`${field('securityContext.runAsNonRoot')}: container's runAsUser breaks non-root policy (runAsUser 0)`);
  }
  const groups = [...(podSc?.supplementalGroups ?? []), ...(podSc?.fsGroup !== undefined ? [podSc.fsGroup] : [])];
  if (groups.length > 0) spec.groupAdd = [...new Set(groups.map(String))];
  if (sc?.privileged) spec.privileged = true;
  if (sc?.readOnlyRootFilesystem) spec.readOnlyRootfs = true;
  if (sc?.capabilities?.add.length) spec.capAdd = [...sc.capabilities.add];
  if (sc?.capabilities?.drop.length) spec.capDrop = [...sc.capabilities.drop];
  if (sc?.allowPrivilegeEscalation === false) spec.securityOpt = ['no-new-privileges'];
}

function quantity(v: string | undefined, parse: (s: string) => number, field: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  try {
    return parse(v);
  } catch (err) {
    throw new ContainerConfigError(`${field}: invalid quantity ${JSON.stringify(v)}: ${(err as Error).message}`);
  }
}

/** The fieldRef paths the agent can answer from what it knows about the pod. */
function fieldValue(pod: Pod, path: string, ctx: AppContainerContext): string | undefined {
  switch (path) {
    case 'metadata.name':
      return pod.metadata!.name;
    case 'metadata.namespace':
      return pod.metadata!.namespace;
    case 'metadata.uid':
      return pod.metadata!.uid;
    case 'spec.nodeName':
      return pod.spec?.nodeName || ctx.nodeName;
    case 'status.podIP':
      return ctx.podIP;
    case 'status.hostIP':
      return ctx.hostIP;
    default: {
      const m = /^metadata\.(labels|annotations)\['([^']+)'\]$/.exec(path);
      if (!m) return undefined;
      const map = m[1] === 'labels' ? pod.metadata!.labels : pod.metadata!.annotations;
      return map[m[2]!] ?? '';
    }
  }
}

/**
 * Resolves envFrom, then env in order (a later duplicate wins), as Kubernetes does.
 * $(VAR) references to variables defined earlier are expanded and $$ escapes. A
 * ConfigMap or Secret reference that cannot be resolved names what is missing
 * (`couldn't find key K in ConfigMap ns/name`).
 */
function resolveEnv(
  pod: Pod,
  container: Container,
  ctx: AppContainerContext,
  field: (f: string) => string,
): Map<string, string> {
  const config = ctx.config ?? NO_CONFIG;
  const env: readonly EnvVar[] = container.env;
  const values = envFromValues(pod, container, config);
  env.forEach((e, i) => {
    let value: string | undefined;
    const from = e.valueFrom;
    if (from?.fieldRef) {
      value = fieldValue(pod, from.fieldRef.fieldPath, ctx);
      if (value === undefined) {
        throw new ContainerConfigError(
          `${field(`env[${i}].valueFrom.fieldRef.fieldPath`)}: unsupported field path "${from.fieldRef.fieldPath}"`,
        );
      }
    } else if (from?.configMapKeyRef || from?.secretKeyRef) {
      value = keyRefValue(pod, from, config);
      // An optional reference to something missing leaves the variable unset.
      if (value === undefined) return;
    } else if (from?.resourceFieldRef) {
      throw new ContainerConfigError(`${field(`env[${i}].valueFrom.resourceFieldRef`)}: not supported by this agent yet`);
    } else {
      value = expandVars(e.value, values);
    }
    values.set(e.name, value);
  });
  return values;
}

/** Kubernetes' $(VAR) expansion: known names are replaced, unknown kept, $$ escapes. */
export function expandVars(s: string, vars: ReadonlyMap<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return vars.get(name!) ?? m;
  });
}
