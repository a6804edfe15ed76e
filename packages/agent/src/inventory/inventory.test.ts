import { describe, expect, it } from 'vitest';
import { buildNodeStatus, dockerArch, gatherHostFacts, nodeLabels, type HostFacts } from './inventory';

const pi4: HostFacts = {
  cpuCores: 4,
  memoryBytes: 4 * 1024 ** 3,
  nodeArch: 'arm64',
  machine: 'aarch64',
  osImage: 'Debian GNU/Linux 13 (trixie)',
  kernelVersion: '6.12.25+rpt-rpi-v8',
  cpuModel: 'ARM Cortex-A72',
  machineId: 'abc123',
  hostname: 'pi1',
  internalIP: '192.168.77.11',
  boardModel: 'Raspberry Pi 4 Model B Rev 1.4',
};
const config = { maxPods: 110, systemReserved: { cpuMillis: 250, memoryBytes: 256 * 1024 ** 2 }, agentVersion: '0.1.0', dockerVersion: '20.10.24+dfsg1' };

describe('buildNodeStatus', () => {
  it('reports capacity, allocatable minus the reserve, node info and addresses', () => {
    const s = buildNodeStatus(pi4, config);
    expect(s.capacity).toEqual({ cpu: '4', memory: '4194304Ki', pods: '110' });
    expect(s.allocatable).toEqual({ cpu: '3750m', memory: '3932160Ki', pods: '110' });
    expect(s.nodeInfo).toEqual({
      machineId: 'abc123',
      kernelVersion: '6.12.25+rpt-rpi-v8',
      osImage: 'Debian GNU/Linux 13 (trixie)',
      containerRuntimeVersion: 'docker://20.10.24',
      agentVersion: '0.1.0',
      operatingSystem: 'linux',
      architecture: 'arm64',
      machine: 'aarch64',
      cpuModel: 'ARM Cortex-A72',
      boardModel: 'Raspberry Pi 4 Model B Rev 1.4',
    });
    expect(s.addresses).toEqual([
      { type: 'InternalIP', address: '192.168.77.11' },
      { type: 'Hostname', address: 'pi1' },
    ]);
  });

  it('leaves unknown facts empty rather than zero', () => {
    const s = buildNodeStatus({ nodeArch: 'arm', hostname: 'pi0' }, { ...config, dockerVersion: undefined });
    expect(s.capacity).toEqual({ pods: '110' });
    expect(s.allocatable).toEqual({ pods: '110' });
    expect(s.nodeInfo).toMatchObject({ architecture: 'arm', machine: '', containerRuntimeVersion: '', cpuModel: '' });
    expect(s.addresses).toEqual([{ type: 'Hostname', address: 'pi0' }]);
    expect(s.health).toEqual({});
  });

  it('never reports negative allocatable', () => {
    const s = buildNodeStatus({ ...pi4, cpuCores: 1, memoryBytes: 128 * 1024 ** 2 }, { ...config, systemReserved: { cpuMillis: 2000, memoryBytes: 1024 ** 3 } });
    expect(s.allocatable).toMatchObject({ cpu: '0', memory: '0Ki' });
  });
});

describe('dockerArch', () => {
  it.each([
    ['x64', 'amd64'],
    ['arm64', 'arm64'],
    ['arm', 'arm'],
  ])('%s → %s', (node, docker) => expect(dockerArch(node)).toBe(docker));
});

describe('nodeLabels', () => {
  it('names hostname, arch and os like Kubernetes', () => {
    expect(nodeLabels('pi1', pi4)).toEqual({ 'kubernetes.io/hostname': 'pi1', 'kubernetes.io/arch': 'arm64', 'kubernetes.io/os': 'linux' });
  });
});

describe('gatherHostFacts (this host)', () => {
  it('reads cores, memory, kernel and the default-route address', async () => {
    const f = await gatherHostFacts({ piHealth: async () => ({ boardModel: 'Test Board', health: {} }) });
    expect(f.cpuCores).toBeGreaterThan(0);
    expect(f.memoryBytes).toBeGreaterThan(0);
    expect(f.kernelVersion).toMatch(/^\d+\.\d+/);
    expect(f.hostname).not.toBe('');
    expect(f.boardModel).toBe('Test Board');
    if (f.internalIP !== undefined) expect(f.internalIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  }, 20_000);
});
