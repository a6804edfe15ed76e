import { formatBytes, formatCpuMillis, parseCpuMillis, parseMemoryBytes, podRequests, type Node, type Pod } from '@orchard/api';
import { age, describeTime } from './age';
import { DescribeWriter, keyValues } from './describe-writer';
import { nodeRoles } from './table';

/** Sum of the limits of a pod's containers (init containers raise it like requests do). */
function podLimits(pod: Pod): { cpuMillis: number; memoryBytes: number } {
  const sum = { cpuMillis: 0, memoryBytes: 0 };
  for (const c of pod.spec?.containers ?? []) {
    const l = c.resources?.limits ?? {};
    if (l.cpu) sum.cpuMillis += parseCpuMillis(l.cpu);
    if (l.memory) sum.memoryBytes += parseMemoryBytes(l.memory);
  }
  return sum;
}

function percent(part: number, whole: number): string {
  return whole > 0 ? `${Math.floor((part * 100) / whole)}%` : '0%';
}

/**
 * `orchard describe node`: labels, taints, conditions, addresses, capacity, system
 * info and the node's non-terminated pods with what they request.
 */
export function describeNode(node: Node, pods: readonly Pod[], now: number): string {
  const w = new DescribeWriter();
  const meta = node.metadata;
  const spec = node.spec;
  const status = node.status;
  w.field(0, 'Name', meta?.name ?? '');
  w.field(0, 'Roles', nodeRoles(node));
  w.multiline(0, 'Labels', keyValues(meta?.labels));
  w.multiline(0, 'Annotations', keyValues(meta?.annotations, ': '));
  w.field(0, 'CreationTimestamp', describeTime(meta?.creationTimestamp));
  w.multiline(0, 'Taints', (spec?.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`));
  w.field(0, 'Unschedulable', spec?.unschedulable ?? false);
  const conditions = status?.conditions ?? [];
  if (conditions.length === 0) w.field(0, 'Conditions', '<none>');
  else {
    w.field(0, 'Conditions');
    w.line(1, 'Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage');
    w.line(1, '----\t------\t-----------------\t------------------\t------\t-------');
    for (const c of conditions) {
      w.line(
        1,
        `${c.type} \t${c.status} \t${describeTime(c.lastHeartbeatTime)} \t${describeTime(c.lastTransitionTime)} \t${c.reason} \t${c.message}`,
      );
    }
  }
  const addresses = status?.addresses ?? [];
  if (addresses.length === 0) w.field(0, 'Addresses', '<none>');
  else {
    w.field(0, 'Addresses');
    for (const a of addresses) w.field(1, a.type, a.address);
  }
  for (const [title, m] of [
    ['Capacity', status?.capacity],
    ['Allocatable', status?.allocatable],
  ] as const) {
    const entries = Object.entries(m ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
    if (entries.length === 0) continue;
    w.field(0, title);
    for (const [k, v] of entries) w.field(1, k, v);
  }
  const info = status?.nodeInfo;
  if (info) {
    w.field(0, 'System Info');
    w.field(1, 'Machine ID', info.machineId);
    w.field(1, 'Kernel Version', info.kernelVersion);
    w.field(1, 'OS Image', info.osImage);
    w.field(1, 'Operating System', info.operatingSystem);
    w.field(1, 'Architecture', info.architecture);
    if (info.machine) w.field(1, 'Machine', info.machine);
    if (info.cpuModel) w.field(1, 'CPU Model', info.cpuModel);
    if (info.boardModel) w.field(1, 'Board Model', info.boardModel);
    w.field(1, 'Container Runtime Version', info.containerRuntimeVersion);
    w.field(1, 'Agent Version', info.agentVersion);
  }
  const health = status?.health;
  if (health && Object.values(health).some((v) => v !== undefined)) {
    w.field(0, 'Health');
    if (health.socTemperatureCelsius !== undefined) w.field(1, 'SoC Temperature', `${health.socTemperatureCelsius.toFixed(1)}°C`);
    if (health.throttled !== undefined) w.field(1, 'Throttled', health.throttled);
    if (health.underVoltage !== undefined) w.field(1, 'Under-voltage', health.underVoltage);
    if (health.frequencyCapped !== undefined) w.field(1, 'Frequency Capped', health.frequencyCapped);
  }
  const allocCpu = safe(() => parseCpuMillis(status?.allocatable.cpu ?? status?.capacity.cpu ?? '0'));
  const allocMem = safe(() => parseMemoryBytes(status?.allocatable.memory ?? status?.capacity.memory ?? '0'));
  w.field(0, 'Non-terminated Pods', `(${pods.length} in total)`);
  const total = { reqCpu: 0, reqMem: 0, limCpu: 0, limMem: 0 };
  if (pods.length > 0) {
    w.line(1, 'Namespace\tName\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge');
    w.line(1, '---------\t----\t------------\t----------\t---------------\t-------------\t---');
    for (const p of pods) {
      const req = safe(() => podRequests(p), { cpuMillis: 0, memoryBytes: 0 });
      const lim = safe(() => podLimits(p), { cpuMillis: 0, memoryBytes: 0 });
      total.reqCpu += req.cpuMillis;
      total.reqMem += req.memoryBytes;
      total.limCpu += lim.cpuMillis;
      total.limMem += lim.memoryBytes;
      w.line(
        1,
        [
          p.metadata?.namespace ?? '',
          p.metadata?.name ?? '',
          `${formatCpuMillis(req.cpuMillis)} (${percent(req.cpuMillis, allocCpu)})`,
          `${formatCpuMillis(lim.cpuMillis)} (${percent(lim.cpuMillis, allocCpu)})`,
          `${formatBytes(req.memoryBytes)} (${percent(req.memoryBytes, allocMem)})`,
          `${formatBytes(lim.memoryBytes)} (${percent(lim.memoryBytes, allocMem)})`,
          age(p.metadata?.creationTimestamp, now),
        ].join('\t'),
      );
    }
  }
  w.field(0, 'Allocated resources');
  w.line(1, '(Total limits may be over 100 percent, i.e., overcommitted.)');
  w.line(1, 'Resource\tRequests\tLimits');
  w.line(1, '--------\t--------\t------');
  w.line(1, `cpu\t${formatCpuMillis(total.reqCpu)} (${percent(total.reqCpu, allocCpu)})\t${formatCpuMillis(total.limCpu)} (${percent(total.limCpu, allocCpu)})`);
  w.line(1, `memory\t${formatBytes(total.reqMem)} (${percent(total.reqMem, allocMem)})\t${formatBytes(total.limMem)} (${percent(total.limMem, allocMem)})`);
  return w.toString();
}

/** Describe shows what it can: a malformed quantity counts as zero rather than failing the command. */
function safe<T>(fn: () => T, fallback?: T): T {
  try {
    return fn();
  } catch {
    return fallback ?? (0 as T);
  }
}
