import { promises as fs } from 'node:fs';
import os from 'node:os';
import type * as SystemInformation from 'systeminformation';
import { useTransiently } from '../transient-module';
import { formatCpuMillis, type NodeHealth, type NodeStatus } from '@orchard/api/agent';

/**
 * What the agent knows about its host, read once at start (systeminformation is slow
 * on a Pi). A fact the host does not offer is undefined, never 0.
 */
export interface HostFacts {
  cpuCores?: number;
  memoryBytes?: number;
  /** Node's naming: x64, arm64, arm. */
  nodeArch: string;
  /** The kernel's naming: x86_64, aarch64, armv7l. */
  machine?: string;
  osImage?: string;
  kernelVersion?: string;
  cpuModel?: string;
  machineId?: string;
  hostname: string;
  /** The address of the interface that carries the default route. */
  internalIP?: string;
  boardModel?: string;
  health?: NodeHealth;
}

/** The agent's own figures that enter the node status. */
export interface InventoryConfig {
  maxPods: number;
  /** Subtracted from capacity to give allocatable. */
  systemReserved: { cpuMillis: number; memoryBytes: number };
  agentVersion: string;
  /** As Docker reports it ("20.10.24+dfsg1"). */
  dockerVersion?: string;
}

/** Docker's (and Kubernetes') architecture names for Node's process.arch values. */
export function dockerArch(nodeArch: string): string {
  switch (nodeArch) {
    case 'x64':
      return 'amd64';
    case 'arm64':
      return 'arm64';
    case 'arm':
      return 'arm';
    case 'ia32':
      return '386';
    default:
      return nodeArch;
  }
}

/** Kubernetes writes memory capacity in Ki. */
function kibibytes(bytes: number): string {
  return `${Math.floor(Math.max(0, bytes) / 1024)}Ki`;
}

/** Node status from the host facts: capacity, allocatable (capacity − reserve), node info, addresses. */
export function buildNodeStatus(facts: HostFacts, config: InventoryConfig): NodeStatus {
  const capacity: Record<string, string> = { pods: String(config.maxPods) };
  const allocatable: Record<string, string> = { pods: String(config.maxPods) };
  if (facts.cpuCores !== undefined) {
    capacity.cpu = String(facts.cpuCores);
    allocatable.cpu = formatCpuMillis(Math.max(0, facts.cpuCores * 1000 - config.systemReserved.cpuMillis));
  }
  if (facts.memoryBytes !== undefined) {
    capacity.memory = kibibytes(facts.memoryBytes);
    allocatable.memory = kibibytes(facts.memoryBytes - config.systemReserved.memoryBytes);
  }
  const addresses = [];
  if (facts.internalIP) addresses.push({ type: 'InternalIP', address: facts.internalIP });
  addresses.push({ type: 'Hostname', address: facts.hostname });
  // "20.10.24+dfsg1" → "20.10.24": the distribution's build suffix says nothing about the API.
  const docker = config.dockerVersion?.replace(/[+~].*$/, '');
  return {
    capacity,
    allocatable,
    conditions: [],
    addresses,
    nodeInfo: {
      machineId: facts.machineId ?? '',
      kernelVersion: facts.kernelVersion ?? '',
      osImage: facts.osImage ?? '',
      containerRuntimeVersion: docker ? `docker://${docker}` : '',
      agentVersion: config.agentVersion,
      operatingSystem: 'linux',
      architecture: dockerArch(facts.nodeArch),
      machine: facts.machine ?? '',
      cpuModel: facts.cpuModel ?? '',
      boardModel: facts.boardModel ?? '',
    },
    health: facts.health ?? {},
    usage: undefined,
    images: [],
  };
}

/** The labels the agent puts on its own Node. */
export function nodeLabels(nodeName: string, facts: HostFacts): Record<string, string> {
  return {
    'kubernetes.io/hostname': nodeName,
    'kubernetes.io/arch': dockerArch(facts.nodeArch),
    'kubernetes.io/os': 'linux',
  };
}

async function readFirst(files: readonly string[]): Promise<string | undefined> {
  for (const f of files) {
    try {
      const text = (await fs.readFile(f, 'utf8')).trim();
      if (text) return text;
    } catch {
      // Try the next location.
    }
  }
  return undefined;
}

function osImageFrom(osRelease: string | undefined): string | undefined {
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease ?? '');
  return m?.[1] || undefined;
}

type SiFacts = [
  SystemInformation.Systeminformation.CpuData | undefined,
  SystemInformation.Systeminformation.MemData | undefined,
  string | undefined,
  SystemInformation.Systeminformation.NetworkInterfacesData | SystemInformation.Systeminformation.NetworkInterfacesData[] | undefined,
];

/** Optional readers that other subsystems provide (Pi board model and health). */
export interface HostFactSources {
  piHealth?: () => Promise<{ boardModel?: string; health: NodeHealth }>;
}

/**
 * Reads the host facts once. Each source that fails leaves its facts unknown; the agent
 * starts regardless.
 */
export async function gatherHostFacts(sources: HostFactSources = {}): Promise<HostFacts> {
  const local = Promise.all([
    readFirst(['/etc/os-release', '/usr/lib/os-release']),
    readFirst(['/etc/machine-id', '/var/lib/dbus/machine-id']),
    sources.piHealth?.().catch(() => undefined),
  ]);
  // systeminformation is loaded for this one reading and not kept (about 1 MB resident).
  const [cpu, mem, defaultIface, ifaces] = await useTransiently<typeof SystemInformation, Promise<SiFacts>>('systeminformation', (si) =>
    Promise.all([
      si.cpu().catch(() => undefined),
      si.mem().catch(() => undefined),
      si.networkInterfaceDefault().catch(() => undefined),
      si.networkInterfaces().catch(() => undefined),
    ]),
  );
  const [osRelease, machineId, pi] = await local;
  const list = Array.isArray(ifaces) ? ifaces : ifaces ? [ifaces] : [];
  const internalIP = list.find((i) => i.iface === defaultIface && i.ip4)?.ip4 || undefined;
  const cores = os.availableParallelism?.() ?? os.cpus().length;
  const cpuModel = cpu ? [cpu.manufacturer, cpu.brand].filter(Boolean).join(' ').trim() || undefined : undefined;
  return {
    cpuCores: cpu?.cores || cores || undefined,
    memoryBytes: mem?.total || os.totalmem() || undefined,
    nodeArch: process.arch,
    machine: typeof os.machine === 'function' ? os.machine() : undefined,
    osImage: osImageFrom(osRelease),
    kernelVersion: os.release() || undefined,
    cpuModel,
    machineId,
    hostname: os.hostname(),
    internalIP,
    boardModel: pi?.boardModel,
    health: pi?.health,
  };
}
