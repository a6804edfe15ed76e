import type { ApiObject } from './gen/orchard/v1/object';
import type { Container, PodSpec, Probe } from './gen/orchard/v1/pod';
import { cloneObject, kindOf, unwrap } from './kinds';
import { ObjectMeta } from './gen/orchard/v1/meta';

export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_SCHEDULER = 'default-scheduler';
export const DEFAULT_TERMINATION_GRACE_SECONDS = 30;

/**
 * Returns a new object with the defaults Kubernetes fills in (the input is never
 * mutated): apiVersion and kind, namespace "default" for namespaced kinds, and for pods
 * the restart, DNS, grace-period, scheduler, pull-policy, protocol and probe defaults,
 * with requests defaulted from limits.
 */
export function withDefaults(obj: ApiObject): ApiObject {
  const out = cloneObject(obj);
  const info = kindOf(out);
  const o = unwrap(out);
  if (o.apiVersion === '') o.apiVersion = info.apiVersion;
  if (o.kind === '') o.kind = info.kind;
  o.metadata ??= ObjectMeta.fromPartial({});
  if (info.namespaced && o.metadata.namespace === '') o.metadata.namespace = DEFAULT_NAMESPACE;
  const r = out.resource!;
  if (r.$case === 'pod' && r.pod.spec) defaultPodSpec(r.pod.spec);
  if (r.$case === 'namespace') {
    r.namespace.status ??= { phase: '' };
    if (r.namespace.status.phase === '') r.namespace.status.phase = 'Active';
  }
  return out;
}

function defaultPodSpec(spec: PodSpec): void {
  if (spec.restartPolicy === '') spec.restartPolicy = 'Always';
  if (spec.dnsPolicy === '') spec.dnsPolicy = 'ClusterFirst';
  spec.terminationGracePeriodSeconds ??= DEFAULT_TERMINATION_GRACE_SECONDS;
  if (spec.schedulerName === '') spec.schedulerName = DEFAULT_SCHEDULER;
  for (const c of spec.initContainers) defaultContainer(c);
  for (const c of spec.containers) defaultContainer(c);
}

/**
 * The pull policy Kubernetes picks when none is given: Always for `:latest` or no tag
 * (the image may have moved), IfNotPresent for a pinned tag or a digest.
 */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  const tag = colon < 0 ? '' : lastSegment.slice(colon + 1);
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(c: Container): void {
  if (c.imagePullPolicy === '') c.imagePullPolicy = defaultPullPolicy(c.image);
  for (const p of c.ports) if (p.protocol === '') p.protocol = 'TCP';
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  if (c.resources) {
    for (const [name, q] of Object.entries(c.resources.limits)) {
      if (!(name in c.resources.requests)) c.resources.requests[name] = q;
    }
  }
}

function defaultProbe(p: Probe | undefined): void {
  if (!p) return;
  if (p.timeoutSeconds === 0) p.timeoutSeconds = 1;
  if (p.periodSeconds === 0) p.periodSeconds = 10;
  if (p.successThreshold === 0) p.successThreshold = 1;
  if (p.failureThreshold === 0) p.failureThreshold = 3;
  if (p.httpGet) {
    if (p.httpGet.path === '') p.httpGet.path = '/';
    if (p.httpGet.scheme === '') p.httpGet.scheme = 'HTTP';
  }
}
