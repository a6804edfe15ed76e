import type {
  Affinity,
  Container,
  EnvVar,
  HTTPGetAction,
  LifecycleHandler,
  NodeSelectorRequirement,
  PodAffinityTerm,
  PodSpec,
  Probe,
  ResourceRequirements,
  TCPSocketAction,
  Toleration,
  Volume,
} from './gen/orchard/v1/pod';
import { FieldErrors } from './field-errors';
import { validateLabelSelector, validateLabels } from './meta-validation';
import { checkDns1123Label, checkEnvVarName, checkQualifiedName } from './names';
import { isQuantity, parseQuantity } from './quantity';

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;
export const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
export const DNS_POLICIES = ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'] as const;
export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
const TOLERATION_OPERATORS = ['Exists', 'Equal'] as const;
const NODE_SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'] as const;
const WHEN_UNSATISFIABLE = ['DoNotSchedule', 'ScheduleAnyway'] as const;
const STANDARD_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage', 'pods']);
const PORT_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const PORT_RANGE = 'must be between 1 and 65535, inclusive';

/** Validates a pod spec; every problem is added to errs with its path. */
export function validatePodSpec(spec: PodSpec | undefined, errs: FieldErrors): void {
  if (!spec) {
    errs.required('spec.containers');
    return;
  }
  const volumes = validateVolumes(spec.volumes, errs);
  if (spec.containers.length === 0) errs.required('spec.containers');
  // Container names are unique across init and app containers: both share one namespace
  // of names in status and logs.
  const names = new Set<string>();
  spec.initContainers.forEach((c, i) => validateContainer(c, `spec.initContainers[${i}]`, names, volumes, errs));
  spec.containers.forEach((c, i) => validateContainer(c, `spec.containers[${i}]`, names, volumes, errs));
  errs.oneOf('spec.restartPolicy', spec.restartPolicy, RESTART_POLICIES, true);
  errs.oneOf('spec.dnsPolicy', spec.dnsPolicy, DNS_POLICIES, true);
  errs.nonNegative('spec.terminationGracePeriodSeconds', spec.terminationGracePeriodSeconds);
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds <= 0) {
    errs.invalid('spec.activeDeadlineSeconds', spec.activeDeadlineSeconds, 'must be greater than 0');
  }
  validateLabels(spec.nodeSelector, 'spec.nodeSelector', errs);
  if (spec.hostname !== '') errs.check('spec.hostname', spec.hostname, checkDns1123Label(spec.hostname));
  spec.tolerations.forEach((t, i) => validateToleration(t, `spec.tolerations[${i}]`, errs));
  validateAffinity(spec.affinity, 'spec.affinity', errs);
  spec.topologySpreadConstraints.forEach((c, i) => {
    const p = `spec.topologySpreadConstraints[${i}]`;
    if (c.maxSkew <= 0) errs.invalid(`${p}.maxSkew`, c.maxSkew, 'must be greater than zero');
    if (c.topologyKey === '') errs.required(`${p}.topologyKey`, 'can not be empty');
    errs.oneOf(`${p}.whenUnsatisfiable`, c.whenUnsatisfiable, WHEN_UNSATISFIABLE, false);
    validateLabelSelector(c.labelSelector, `${p}.labelSelector`, errs);
  });
}

/** Checks the volumes and returns the set of their names, for volumeMounts to refer to. */
function validateVolumes(volumes: readonly Volume[], errs: FieldErrors): Set<string> {
  const names = new Set<string>();
  volumes.forEach((v, i) => {
    const p = `spec.volumes[${i}]`;
    if (v.name === '') errs.required(`${p}.name`);
    else {
      errs.check(`${p}.name`, v.name, checkDns1123Label(v.name));
      if (names.has(v.name)) errs.duplicate(`${p}.name`, v.name);
      names.add(v.name);
    }
    const sources = [v.emptyDir, v.hostPath, v.configMap, v.secret, v.persistentVolumeClaim].filter((s) => s !== undefined);
    if (sources.length === 0) errs.required(p, 'must specify a volume type');
    else if (sources.length > 1) errs.forbidden(p, 'may not specify more than 1 volume type');
    if (v.hostPath && v.hostPath.path === '') errs.required(`${p}.hostPath.path`);
    if (v.configMap && v.configMap.name === '') errs.required(`${p}.configMap.name`);
    for (const [src, name] of [
      [v.configMap, 'configMap'],
      [v.secret, 'secret'],
    ] as const) {
      if (!src) continue;
      validateFileMode(`${p}.${name}.defaultMode`, src.defaultMode, errs);
      src.items.forEach((item, j) => {
        if (item.key === '') errs.required(`${p}.${name}.items[${j}].key`);
        if (item.path === '') errs.required(`${p}.${name}.items[${j}].path`);
        else if (item.path.startsWith('/') || item.path.split('/').includes('..')) {
          errs.invalid(`${p}.${name}.items[${j}].path`, item.path, "must be a relative path without '..'");
        }
        validateFileMode(`${p}.${name}.items[${j}].mode`, item.mode, errs);
      });
    }
    if (v.secret && v.secret.secretName === '') errs.required(`${p}.secret.secretName`);
    if (v.persistentVolumeClaim && v.persistentVolumeClaim.claimName === '') {
      errs.required(`${p}.persistentVolumeClaim.claimName`);
    }
    if (v.emptyDir) {
      errs.oneOf(`${p}.emptyDir.medium`, v.emptyDir.medium, ['Memory'], true);
      if (v.emptyDir.sizeLimit !== '') validateQuantity(`${p}.emptyDir.sizeLimit`, v.emptyDir.sizeLimit, errs);
    }
  });
  return names;
}

function validateFileMode(path: string, mode: number | undefined, errs: FieldErrors): void {
  if (mode !== undefined && (mode < 0 || mode > 0o777)) {
    errs.invalid(path, mode, 'must be a number between 0 and 0777 (octal), both inclusive');
  }
}

function validateContainer(c: Container, p: string, names: Set<string>, volumes: Set<string>, errs: FieldErrors): void {
  if (c.name === '') errs.required(`${p}.name`);
  else {
    errs.check(`${p}.name`, c.name, checkDns1123Label(c.name));
    if (names.has(c.name)) errs.duplicate(`${p}.name`, c.name);
    names.add(c.name);
  }
  if (c.image.trim() === '') errs.required(`${p}.image`);
  errs.oneOf(`${p}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES, true);
  const portNames = new Set<string>();
  c.ports.forEach((port, i) => {
    const pp = `${p}.ports[${i}]`;
    if (port.containerPort === 0) errs.required(`${pp}.containerPort`);
    else if (port.containerPort < 1 || port.containerPort > 65535) {
      errs.invalid(`${pp}.containerPort`, port.containerPort, PORT_RANGE);
    }
    if (port.hostPort !== 0 && (port.hostPort < 1 || port.hostPort > 65535)) {
      errs.invalid(`${pp}.hostPort`, port.hostPort, PORT_RANGE);
    }
    errs.oneOf(`${pp}.protocol`, port.protocol, PROTOCOLS, true);
    if (port.name !== '') {
      validatePortName(`${pp}.name`, port.name, errs);
      if (portNames.has(port.name)) errs.duplicate(`${pp}.name`, port.name);
      portNames.add(port.name);
    }
  });
  c.env.forEach((e, i) => validateEnv(e, `${p}.env[${i}]`, errs));
  validateResources(c.resources, `${p}.resources`, errs);
  const mountPaths = new Set<string>();
  c.volumeMounts.forEach((m, i) => {
    const mp = `${p}.volumeMounts[${i}]`;
    if (m.name === '') errs.required(`${mp}.name`);
    else if (!volumes.has(m.name)) errs.notFound(`${mp}.name`, m.name);
    if (m.mountPath === '') errs.required(`${mp}.mountPath`);
    else if (!m.mountPath.startsWith('/')) errs.invalid(`${mp}.mountPath`, m.mountPath, 'must be an absolute path');
    else if (mountPaths.has(m.mountPath)) errs.invalid(`${mp}.mountPath`, m.mountPath, 'must be unique');
    mountPaths.add(m.mountPath);
    if (m.subPath.startsWith('/') || m.subPath.split('/').includes('..')) {
      errs.invalid(`${mp}.subPath`, m.subPath, "must be a relative path without '..'");
    }
  });
  validateProbe(c.livenessProbe, `${p}.livenessProbe`, true, errs);
  validateProbe(c.readinessProbe, `${p}.readinessProbe`, false, errs);
  validateProbe(c.startupProbe, `${p}.startupProbe`, true, errs);
  if (c.lifecycle) {
    validateHandler(c.lifecycle.postStart, `${p}.lifecycle.postStart`, errs);
    validateHandler(c.lifecycle.preStop, `${p}.lifecycle.preStop`, errs);
  }
}

function validatePortName(path: string, name: string, errs: FieldErrors): void {
  if (name.length > 15) errs.invalid(path, name, 'must be no more than 15 characters');
  else if (!PORT_NAME.test(name) || !/[a-z]/.test(name) || name.includes('--')) {
    errs.invalid(
      path,
      name,
      "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-), must contain at least one letter " +
        '(a-z), must not start or end with a hyphen, and hyphens must not be adjacent',
    );
  }
}

function validateEnv(e: EnvVar, p: string, errs: FieldErrors): void {
  if (e.name === '') errs.required(`${p}.name`);
  else errs.check(`${p}.name`, e.name, checkEnvVarName(e.name));
  if (!e.valueFrom) return;
  if (e.value !== '') errs.invalid(`${p}.valueFrom`, '', 'may not be specified when `value` is not empty');
  const f = e.valueFrom;
  const n = [f.fieldRef, f.configMapKeyRef, f.secretKeyRef, f.resourceFieldRef].filter((s) => s !== undefined).length;
  if (n === 0) errs.invalid(`${p}.valueFrom`, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`');
  else if (n > 1) errs.invalid(`${p}.valueFrom`, '', 'may not have more than one field specified at a time');
  if (f.fieldRef && f.fieldRef.fieldPath === '') errs.required(`${p}.valueFrom.fieldRef.fieldPath`);
  if (f.configMapKeyRef && f.configMapKeyRef.key === '') errs.required(`${p}.valueFrom.configMapKeyRef.key`);
  if (f.secretKeyRef && f.secretKeyRef.key === '') errs.required(`${p}.valueFrom.secretKeyRef.key`);
  if (f.resourceFieldRef && f.resourceFieldRef.resource === '') errs.required(`${p}.valueFrom.resourceFieldRef.resource`);
}

function isKnownResourceName(name: string): boolean {
  return STANDARD_RESOURCES.has(name) || name.startsWith('hugepages-') || (name.includes('/') && checkQualifiedName(name).length === 0);
}

function validateQuantity(path: string, value: string, errs: FieldErrors): boolean {
  if (isQuantity(value)) return true;
  errs.invalid(path, value, 'must be a non-negative quantity like 100m, 250Mi or 1Gi');
  return false;
}

function validateResources(r: ResourceRequirements | undefined, p: string, errs: FieldErrors): void {
  if (!r) return;
  const limits = new Map<string, number>();
  for (const [name, q] of Object.entries(r.limits)) {
    const path = `${p}.limits[${name}]`;
    if (!isKnownResourceName(name)) errs.invalid(path, name, 'must be a standard resource type or fully qualified');
    if (validateQuantity(path, q, errs)) limits.set(name, parseQuantity(q));
  }
  for (const [name, q] of Object.entries(r.requests)) {
    const path = `${p}.requests[${name}]`;
    // A request defaulted from an invalid limit has already been reported with the limit.
    if (r.limits[name] === q && !limits.has(name)) continue;
    if (!isKnownResourceName(name)) errs.invalid(path, name, 'must be a standard resource type or fully qualified');
    if (!validateQuantity(path, q, errs)) continue;
    const limit = limits.get(name);
    if (limit !== undefined && parseQuantity(q) > limit) {
      errs.invalid(path, q, `must be less than or equal to ${name} limit of ${r.limits[name]}`);
    }
  }
}

function handlerCount(h: { exec?: unknown; httpGet?: unknown; tcpSocket?: unknown }): number {
  return [h.exec, h.httpGet, h.tcpSocket].filter((x) => x !== undefined).length;
}

function validateHandler(h: LifecycleHandler | undefined, p: string, errs: FieldErrors): void {
  if (!h) return;
  const n = handlerCount(h);
  if (n === 0) errs.required(p, 'must specify a handler type');
  else if (n > 1) errs.forbidden(p, 'may not specify more than 1 handler type');
  if (h.exec && h.exec.command.length === 0) errs.required(`${p}.exec.command`);
  if (h.httpGet) validateHttpGet(h.httpGet, `${p}.httpGet`, errs);
  if (h.tcpSocket) validatePortRef(h.tcpSocket, `${p}.tcpSocket.port`, errs);
}

function validateProbe(probe: Probe | undefined, p: string, successMustBeOne: boolean, errs: FieldErrors): void {
  if (!probe) return;
  validateHandler(probe, p, errs);
  errs.nonNegative(`${p}.initialDelaySeconds`, probe.initialDelaySeconds);
  errs.nonNegative(`${p}.timeoutSeconds`, probe.timeoutSeconds);
  errs.nonNegative(`${p}.periodSeconds`, probe.periodSeconds);
  errs.nonNegative(`${p}.successThreshold`, probe.successThreshold);
  errs.nonNegative(`${p}.failureThreshold`, probe.failureThreshold);
  errs.nonNegative(`${p}.terminationGracePeriodSeconds`, probe.terminationGracePeriodSeconds);
  if (successMustBeOne && probe.successThreshold > 1) {
    errs.invalid(`${p}.successThreshold`, probe.successThreshold, 'must be 1');
  }
}

function validateHttpGet(h: HTTPGetAction, p: string, errs: FieldErrors): void {
  validatePortRef(h, `${p}.port`, errs);
  errs.oneOf(`${p}.scheme`, h.scheme, ['HTTP', 'HTTPS'], true);
}

/** An IntOrString port: a number 1-65535 or the name of a container port. */
function validatePortRef(h: HTTPGetAction | TCPSocketAction, path: string, errs: FieldErrors): void {
  if (h.port === '') errs.required(path);
  else if (/^\d+$/.test(h.port)) {
    const n = Number(h.port);
    if (n < 1 || n > 65535) errs.invalid(path, n, PORT_RANGE);
  } else validatePortName(path, h.port, errs);
}

function validateToleration(t: Toleration, p: string, errs: FieldErrors): void {
  if (t.key !== '') errs.check(`${p}.key`, t.key, checkQualifiedName(t.key));
  errs.oneOf(`${p}.operator`, t.operator, TOLERATION_OPERATORS, true);
  if (t.key === '' && t.operator !== 'Exists') {
    errs.invalid(`${p}.operator`, t.operator, 'operator must be Exists when `key` is empty, which means "match all values and all keys"');
  }
  if (t.operator === 'Exists' && t.value !== '') {
    errs.invalid(`${p}.operator`, t.value, 'value must be empty when `operator` is \'Exists\'');
  }
  errs.oneOf(`${p}.effect`, t.effect, TAINT_EFFECTS, true);
  if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
    errs.invalid(`${p}.effect`, t.effect, 'effect must be \'NoExecute\' when `tolerationSeconds` is set');
  }
}

function validateNodeSelectorRequirement(r: NodeSelectorRequirement, p: string, errs: FieldErrors): void {
  errs.check(`${p}.key`, r.key, checkQualifiedName(r.key));
  errs.oneOf(`${p}.operator`, r.operator, NODE_SELECTOR_OPERATORS, false);
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      if (r.values.length === 0) errs.required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'");
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (r.values.length > 0) errs.forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
      break;
    case 'Gt':
    case 'Lt':
      if (r.values.length !== 1 || !/^-?\d+$/.test(r.values[0]!)) {
        errs.required(`${p}.values`, "must be specified single value when `operator` is 'Lt' or 'Gt'");
      }
      break;
  }
}

function validateAffinityTerm(t: PodAffinityTerm | undefined, p: string, errs: FieldErrors): void {
  if (!t) {
    errs.required(p);
    return;
  }
  if (t.topologyKey === '') errs.required(`${p}.topologyKey`, 'can not be empty');
  else errs.check(`${p}.topologyKey`, t.topologyKey, checkQualifiedName(t.topologyKey));
  validateLabelSelector(t.labelSelector, `${p}.labelSelector`, errs);
}

function validateWeight(w: number, p: string, errs: FieldErrors): void {
  if (w < 1 || w > 100) errs.invalid(p, w, 'must be in the range 1-100');
}

function validateAffinity(a: Affinity | undefined, p: string, errs: FieldErrors): void {
  if (!a) return;
  const na = a.nodeAffinity;
  if (na) {
    const np = `${p}.nodeAffinity`;
    const req = na.requiredDuringSchedulingIgnoredDuringExecution;
    if (req) {
      const rp = `${np}.requiredDuringSchedulingIgnoredDuringExecution`;
      if (req.nodeSelectorTerms.length === 0) errs.required(`${rp}.nodeSelectorTerms`, 'must have at least one node selector term');
      req.nodeSelectorTerms.forEach((term, i) => {
        term.matchExpressions.forEach((r, j) =>
          validateNodeSelectorRequirement(r, `${rp}.nodeSelectorTerms[${i}].matchExpressions[${j}]`, errs),
        );
        term.matchFields.forEach((r, j) =>
          validateNodeSelectorRequirement(r, `${rp}.nodeSelectorTerms[${i}].matchFields[${j}]`, errs),
        );
      });
    }
    na.preferredDuringSchedulingIgnoredDuringExecution.forEach((pref, i) => {
      const pp = `${np}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
      validateWeight(pref.weight, `${pp}.weight`, errs);
      pref.preference?.matchExpressions.forEach((r, j) =>
        validateNodeSelectorRequirement(r, `${pp}.preference.matchExpressions[${j}]`, errs),
      );
    });
  }
  for (const [name, pa] of [
    ['podAffinity', a.podAffinity],
    ['podAntiAffinity', a.podAntiAffinity],
  ] as const) {
    if (!pa) continue;
    const pp = `${p}.${name}`;
    pa.requiredDuringSchedulingIgnoredDuringExecution.forEach((t, i) =>
      validateAffinityTerm(t, `${pp}.requiredDuringSchedulingIgnoredDuringExecution[${i}]`, errs),
    );
    pa.preferredDuringSchedulingIgnoredDuringExecution.forEach((w, i) => {
      const wp = `${pp}.preferredDuringSchedulingIgnoredDuringExecution[${i}]`;
      validateWeight(w.weight, `${wp}.weight`, errs);
      validateAffinityTerm(w.podAffinityTerm, `${wp}.podAffinityTerm`, errs);
    });
  }
}
