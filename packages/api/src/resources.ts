import type { Container, Pod } from './gen/orchard/v1/pod';
import { parseCpuMillis, parseMemoryBytes } from './quantity';

/** What a pod asks the scheduler for. */
export interface PodRequests {
  cpuMillis: number;
  memoryBytes: number;
}

function containerRequests(c: Container): PodRequests {
  // Requests default to limits (withDefaults does that too; a pod that skipped defaulting
  // is still counted the same way).
  const req = c.resources?.requests ?? {};
  const lim = c.resources?.limits ?? {};
  const cpu = req.cpu ?? lim.cpu;
  const mem = req.memory ?? lim.memory;
  return {
    cpuMillis: cpu === undefined ? 0 : parseCpuMillis(cpu),
    memoryBytes: mem === undefined ? 0 : parseMemoryBytes(mem),
  };
}

/**
 * A pod's effective requests, as Kubernetes computes them: the sum over its containers,
 * raised to the largest single init container (init containers run one at a time,
 * before the others).
 * @throws Error for a malformed quantity (validation rejects those before they get here).
 */
export function podRequests(pod: Pod): PodRequests {
  const spec = pod.spec;
  const total: PodRequests = { cpuMillis: 0, memoryBytes: 0 };
  if (!spec) return total;
  for (const c of spec.containers) {
    const r = containerRequests(c);
    total.cpuMillis += r.cpuMillis;
    total.memoryBytes += r.memoryBytes;
  }
  for (const c of spec.initContainers) {
    const r = containerRequests(c);
    total.cpuMillis = Math.max(total.cpuMillis, r.cpuMillis);
    total.memoryBytes = Math.max(total.memoryBytes, r.memoryBytes);
  }
  return total;
}
