import type { Container, LifecycleHandler } from '@orchard/api/agent';
import type { ContainerRuntime } from '../runtime/container-runtime';
import { execProbe } from './exec-probe';
import { httpProbe } from './http-probe';
import type { ProbeOutcome } from './probe-outcome';
import { resolvePort } from './resolve-port';
import { tcpProbe } from './tcp-probe';

/** Where a probe or hook acts: one running container of a pod. */
export interface HandlerTarget {
  runtime: ContainerRuntime;
  containerId: string;
  /** The container's spec, for named ports. */
  container: Container;
  /** The pod's IP: httpGet and tcpSocket go there unless they name a host. */
  podIP: string;
}

/**
 * Runs one handler (a probe's or a lifecycle hook's; both have the same three kinds)
 * within timeoutMs. Never throws: every problem is a failed outcome with a message.
 * @param field the handler's path in the spec, for messages ("livenessProbe").
 */
export async function runHandler(handler: LifecycleHandler, target: HandlerTarget, timeoutMs: number, field: string): Promise<ProbeOutcome> {
  try {
    if (handler.exec) return await execProbe(target.runtime, target.containerId, handler.exec.command, timeoutMs);
    if (handler.httpGet) {
      const g = handler.httpGet;
      const host = g.host || target.podIP;
      if (!host) return { ok: false, message: `${field}.httpGet: the pod has no IP yet` };
      return await httpProbe(
        { scheme: g.scheme || 'HTTP', host, port: resolvePort(g.port, target.container, `${field}.httpGet.port`), path: g.path || '/', headers: g.httpHeaders },
        timeoutMs,
      );
    }
    if (handler.tcpSocket) {
      const t = handler.tcpSocket;
      const host = t.host || target.podIP;
      if (!host) return { ok: false, message: `${field}.tcpSocket: the pod has no IP yet` };
      return await tcpProbe(host, resolvePort(t.port, target.container, `${field}.tcpSocket.port`), timeoutMs);
    }
    return { ok: false, message: `${field}: no handler (exec, httpGet or tcpSocket) given` };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}
