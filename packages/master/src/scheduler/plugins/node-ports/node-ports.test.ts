import { describe, expect, it } from 'vitest';
import type { PodOptions } from '../../framework/fixtures';
import { makeNode, makePod } from '../../framework/fixtures';
import { runFilter } from '../../framework/run-plugin';
import { ErrReason, nodePorts } from './node-ports';

describe('NodePorts', () => {
  const cases: { name: string; existing: PodOptions[]; pod: PodOptions; reasons: string[] }[] = [
    { name: 'no host ports fits anywhere', existing: [{ hostPorts: [{ hostPort: 80 }] }], pod: {}, reasons: [] },
    { name: 'free port fits', existing: [{ hostPorts: [{ hostPort: 80 }] }], pod: { hostPorts: [{ hostPort: 8080 }] }, reasons: [] },
    { name: 'same port and protocol conflicts', existing: [{ hostPorts: [{ hostPort: 80 }] }], pod: { hostPorts: [{ hostPort: 80 }] }, reasons: [ErrReason] },
    {
      name: 'same port, other protocol fits',
      existing: [{ hostPorts: [{ hostPort: 53, protocol: 'UDP' }] }],
      pod: { hostPorts: [{ hostPort: 53, protocol: 'TCP' }] },
      reasons: [],
    },
    {
      name: 'different host IPs fit',
      existing: [{ hostPorts: [{ hostPort: 80, hostIP: '10.0.0.1' }] }],
      pod: { hostPorts: [{ hostPort: 80, hostIP: '10.0.0.2' }] },
      reasons: [],
    },
    {
      name: 'same host IP conflicts',
      existing: [{ hostPorts: [{ hostPort: 80, hostIP: '10.0.0.1' }] }],
      pod: { hostPorts: [{ hostPort: 80, hostIP: '10.0.0.1' }] },
      reasons: [ErrReason],
    },
    {
      name: 'wildcard existing conflicts with a specific IP',
      existing: [{ hostPorts: [{ hostPort: 80, hostIP: '0.0.0.0' }] }],
      pod: { hostPorts: [{ hostPort: 80, hostIP: '10.0.0.1' }] },
      reasons: [ErrReason],
    },
    {
      name: 'specific existing conflicts with a wildcard request',
      existing: [{ hostPorts: [{ hostPort: 80, hostIP: '10.0.0.1' }] }],
      pod: { hostPorts: [{ hostPort: 80 }] },
      reasons: [ErrReason],
    },
    {
      name: 'hostNetwork pods take their container ports',
      existing: [{ hostNetwork: true, hostPorts: [{ hostPort: 0, containerPort: 9100 }] }],
      pod: { hostPorts: [{ hostPort: 9100 }] },
      reasons: [ErrReason],
    },
  ];
  it.each(cases)('$name', ({ existing, pod, reasons }) => {
    const pods = existing.map((o, i) => makePod({ ...o, name: `old-${i}` }));
    const status = runFilter(nodePorts(), makePod(pod), makeNode({ name: 'n1', pods }));
    expect(status.reasons).toEqual(reasons);
  });

  it('sees a port taken once the node gains a pod', () => {
    const plugin = nodePorts();
    const pod = makePod({ hostPorts: [{ hostPort: 80 }] });
    const before = makeNode({ name: 'n1' });
    expect(runFilter(plugin, pod, before).reasons).toEqual([]);
    const after = makeNode({ name: 'n1', pods: [makePod({ name: 'web', hostPorts: [{ hostPort: 80 }] })] });
    expect(runFilter(plugin, pod, after).reasons).toEqual([ErrReason]);
  });
});
