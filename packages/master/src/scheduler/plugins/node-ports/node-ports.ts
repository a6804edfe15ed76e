import type { Container, Pod } from '@orchard/api';
import type { FilterPlugin } from '../../framework/plugin';
import { SKIP } from '../../framework/plugin';
import type { ColumnTable } from '../../framework/node-column';
import { NodeColumn } from '../../framework/node-column';
import { SUCCESS, unschedulable } from '../../framework/status';

export const Name = 'NodePorts';

/** Kubernetes' ErrReason of the NodePorts plugin. */
export const ErrReason = "node(s) didn't have free ports for the requested pod ports";

const CONFLICT = unschedulable(ErrReason);

/** One host port a pod wants: `key` is "protocol/port", the unit of conflict. */
export interface HostPort {
  readonly key: string;
  readonly hostIP: string;
}

/**
 * The host ports of a pod. A hostNetwork pod binds its container ports on the host whether or
 * not it names them as host ports, so those count too.
 */
export function podHostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  const spec = pod.spec;
  if (!spec) return out;
  addHostPorts(spec.initContainers, spec.hostNetwork, out);
  addHostPorts(spec.containers, spec.hostNetwork, out);
  return out;
}

function addHostPorts(containers: readonly Container[] | undefined, hostNetwork: boolean, out: HostPort[]): void {
  for (const c of containers ?? []) {
    for (const p of c.ports ?? []) {
      const port = p.hostPort || (hostNetwork ? p.containerPort : 0);
      if (port > 0) out.push({ key: `${p.protocol || 'TCP'}/${port}`, hostIP: p.hostIp });
    }
  }
}

/** Host ports in use on a node: "protocol/port" -> the host IPs bound to it. */
const PORTS_IN_USE = new NodeColumn((nodeInfo) => {
  const used = new Map<string, string[]>();
  for (const pod of nodeInfo.pods) {
    for (const p of podHostPorts(pod)) {
      const ips = used.get(p.key);
      if (ips) ips.push(p.hostIP);
      else used.set(p.key, [p.hostIP]);
    }
  }
  return used;
});

function isWildcard(ip: string): boolean {
  return ip === '' || ip === '0.0.0.0' || ip === '::';
}

/** Kubernetes' rule: same protocol and port conflict when either side binds all addresses or both bind the same one. */
export function conflicts(wanted: readonly HostPort[], used: ReadonlyMap<string, readonly string[]>): boolean {
  for (let i = 0; i < wanted.length; i++) {
    const w = wanted[i]!;
    const ips = used.get(w.key);
    if (!ips) continue;
    if (isWildcard(w.hostIP)) return true;
    for (let j = 0; j < ips.length; j++) if (isWildcard(ips[j]!) || ips[j] === w.hostIP) return true;
  }
  return false;
}

/** Rejects nodes where a host port the pod needs is already taken. */
export function nodePorts(): FilterPlugin<{ wanted: readonly HostPort[]; used: ColumnTable<Map<string, string[]>> }> {
  return {
    name: Name,
    preFilter: (pod, ctx) => {
      const wanted = podHostPorts(pod);
      return wanted.length > 0 ? { wanted, used: PORTS_IN_USE.of(ctx.snapshot.nodes) } : SKIP;
    },
    filter: ({ wanted, used }, _pod, nodeInfo, index) => (conflicts(wanted, used.get(index, nodeInfo)) ? CONFLICT : SUCCESS),
  };
}
