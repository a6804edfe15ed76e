import { describe, expect, it } from 'vitest';
import { Pod } from './gen/orchard/v1/pod';
import { podRequests } from './resources';

type C = { cpu?: string; memory?: string; limCpu?: string; limMemory?: string };
function container(name: string, c: C) {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  if (c.cpu) requests.cpu = c.cpu;
  if (c.memory) requests.memory = c.memory;
  if (c.limCpu) limits.cpu = c.limCpu;
  if (c.limMemory) limits.memory = c.limMemory;
  return { name, image: 'x', resources: { requests, limits } };
}

describe('podRequests', () => {
  const cases: Array<{ name: string; containers: C[]; init?: C[]; want: { cpuMillis: number; memoryBytes: number } }> = [
    { name: 'nothing requested', containers: [{}], want: { cpuMillis: 0, memoryBytes: 0 } },
    { name: 'one container', containers: [{ cpu: '250m', memory: '64Mi' }], want: { cpuMillis: 250, memoryBytes: 64 * 2 ** 20 } },
    { name: 'sum of containers', containers: [{ cpu: '250m', memory: '64Mi' }, { cpu: '1', memory: '1Gi' }], want: { cpuMillis: 1250, memoryBytes: 2 ** 30 + 64 * 2 ** 20 } },
    { name: 'limits stand in for missing requests', containers: [{ limCpu: '500m', limMemory: '128Mi' }], want: { cpuMillis: 500, memoryBytes: 128 * 2 ** 20 } },
    {
      name: 'a larger init container raises the total',
      containers: [{ cpu: '100m', memory: '10Mi' }],
      init: [{ cpu: '2', memory: '1Mi' }],
      want: { cpuMillis: 2000, memoryBytes: 10 * 2 ** 20 },
    },
    {
      name: 'init containers are not summed',
      containers: [{ cpu: '100m' }],
      init: [{ cpu: '300m' }, { cpu: '200m' }],
      want: { cpuMillis: 300, memoryBytes: 0 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const pod = Pod.fromPartial({
        spec: {
          containers: c.containers.map((x, i) => container(`c${i}`, x)),
          initContainers: (c.init ?? []).map((x, i) => container(`i${i}`, x)),
        },
      });
      expect(podRequests(pod)).toEqual(c.want);
    });
  }
  it('a pod without a spec requests nothing', () => expect(podRequests(Pod.fromPartial({}))).toEqual({ cpuMillis: 0, memoryBytes: 0 }));
});
