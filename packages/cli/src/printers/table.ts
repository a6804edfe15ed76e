import { kindOf, metaOf, type ApiObject, type KindInfo, type MasterInfo, type Node } from '@orchard/api';
import { age } from './age';
import { summarizePod } from './pod-status';
import { formatTable } from './tabwriter';

export interface TableOptions {
  /** -o wide: the extra columns. */
  readonly wide: boolean;
  /** -A: a NAMESPACE column first (namespaced kinds only). */
  readonly allNamespaces: boolean;
  /** The time ages are computed at (ms since the epoch). */
  readonly now: number;
}

const NONE = '<none>';

/** The column titles of a kind's table. */
export function tableHeader(kind: KindInfo, opts: TableOptions): string[] {
  const ns = kind.namespaced && opts.allNamespaces ? ['NAMESPACE'] : [];
  switch (kind.case) {
    case 'pod':
      return [...ns, 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', ...(opts.wide ? ['IP', 'NODE'] : [])];
    case 'node':
      return ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', ...(opts.wide ? ['INTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'ARCH'] : [])];
    case 'namespace':
      return ['NAME', 'STATUS', 'AGE'];
    case 'configMap':
      return [...ns, 'NAME', 'DATA', 'AGE'];
    case 'secret':
      return [...ns, 'NAME', 'TYPE', 'DATA', 'AGE'];
  }
}

/** One object's row, matching tableHeader. */
export function tableRow(obj: ApiObject, opts: TableOptions): string[] {
  const kind = kindOf(obj);
  const meta = metaOf(obj);
  const ns = kind.namespaced && opts.allNamespaces ? [meta.namespace] : [];
  const created = age(meta.creationTimestamp, opts.now);
  const r = obj.resource!;
  switch (r.$case) {
    case 'pod': {
      const s = summarizePod(r.pod);
      const row = [...ns, meta.name, s.ready, s.status, String(s.restarts), created];
      if (opts.wide) row.push(r.pod.status?.podIp || NONE, r.pod.spec?.nodeName || NONE);
      return row;
    }
    case 'node': {
      const n = r.node;
      const info = n.status?.nodeInfo;
      const row = [meta.name, nodeStatus(n), nodeRoles(n), created, info?.agentVersion || ''];
      if (opts.wide) {
        const ip = n.status?.addresses.find((a) => a.type === 'InternalIP')?.address;
        row.push(ip || NONE, info?.osImage || '<unknown>', info?.kernelVersion || '<unknown>', info?.architecture || '<unknown>');
      }
      return row;
    }
    case 'namespace':
      return [meta.name, r.namespace.status?.phase || 'Active', created];
    case 'configMap': {
      const data = Object.keys(r.configMap.data).length + Object.keys(r.configMap.binaryData).length;
      return [...ns, meta.name, String(data), created];
    }
    case 'secret':
      return [...ns, meta.name, r.secret.type || 'Opaque', String(Object.keys(r.secret.data).length), created];
  }
}

/** A node's STATUS column: Ready/NotReady/Unknown, plus SchedulingDisabled when cordoned. */
export function nodeStatus(n: Node): string {
  const ready = n.status?.conditions.find((c) => c.type === 'Ready');
  const states = [!ready ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady'];
  if (n.spec?.unschedulable) states.push('SchedulingDisabled');
  return states.join(',');
}

const ROLE_PREFIX = 'node-role.kubernetes.io/';

/** A node's ROLES column, from node-role.kubernetes.io/<role> labels (and kubernetes.io/role). */
export function nodeRoles(n: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(n.metadata?.labels ?? {})) {
    if (k.startsWith(ROLE_PREFIX) && k.length > ROLE_PREFIX.length) roles.add(k.slice(ROLE_PREFIX.length));
    else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return roles.size === 0 ? NONE : [...roles].sort().join(',');
}

/** A whole table, header first (or rows only, for watch updates after the first print). */
export function printTable(kind: KindInfo, objs: readonly ApiObject[], opts: TableOptions, header = true): string {
  const rows = objs.map((o) => tableRow(o, opts));
  return formatTable(header ? [tableHeader(kind, opts), ...rows] : rows);
}

/** The table of `orchard get masters`. */
export function printMasters(masters: readonly MasterInfo[], now: number): string {
  const rows = masters.map((m) => [m.name, m.address, m.version, m.leader ? 'true' : 'false', age(m.startedAt, now)]);
  return formatTable([['NAME', 'ADDRESS', 'VERSION', 'LEADER', 'AGE'], ...rows]);
}
