import { describe, expect, it } from 'vitest';
import { Condition, NodeStatus } from '@orchard/api';
import { AGENT_READY_REASON, NOT_READY_REASON, readyStatus } from './node-service';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:00:09Z';
const runtimeDown = Condition.fromPartial({ type: 'Ready', status: 'False', reason: 'ContainerRuntimeUnhealthy', message: 'Docker engine is not answering on /var/run/docker.sock: connect ENOENT' });
const memoryPressure = Condition.fromPartial({ type: 'MemoryPressure', status: 'False' });

function ready(s: NodeStatus) {
  return s.conditions.find((c) => c.type === 'Ready');
}

describe('readyStatus', () => {
  const cases: Array<{ name: string; reported: Condition[]; previous: Condition[]; want: Partial<Condition> }> = [
    { name: 'an agent reporting nothing is Ready', reported: [], previous: [], want: { status: 'True', reason: AGENT_READY_REASON, lastTransitionTime: T1 } },
    { name: 'an agent whose runtime is down is not Ready, with its reason and message', reported: [runtimeDown], previous: [], want: { status: 'False', reason: 'ContainerRuntimeUnhealthy', message: runtimeDown.message } },
    {
      name: 'staying not ready keeps the transition time',
      reported: [runtimeDown],
      previous: [Condition.fromPartial({ type: 'Ready', status: 'False', reason: 'ContainerRuntimeUnhealthy', lastTransitionTime: T0 })],
      want: { status: 'False', lastTransitionTime: T0 },
    },
    {
      name: 'ready again moves the transition time',
      reported: [],
      previous: [Condition.fromPartial({ type: 'Ready', status: 'False', lastTransitionTime: T0 })],
      want: { status: 'True', reason: AGENT_READY_REASON, lastTransitionTime: T1 },
    },
    { name: 'a Ready=True claim of the agent is the master\'s own wording', reported: [Condition.fromPartial({ type: 'Ready', status: 'True', reason: 'Whatever' })], previous: [], want: { status: 'True', reason: AGENT_READY_REASON } },
    { name: 'not ready without a reason gets one', reported: [Condition.fromPartial({ type: 'Ready', status: 'False' })], previous: [], want: { status: 'False', reason: NOT_READY_REASON } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = readyStatus(NodeStatus.fromPartial({ conditions: [memoryPressure, ...c.reported] }), c.previous, T1);
      expect(ready(s)).toMatchObject(c.want);
      expect(s.conditions.filter((x) => x.type === 'Ready')).toHaveLength(1);
      expect(s.conditions.find((x) => x.type === 'MemoryPressure')).toMatchObject({ status: 'False' });
    });
  }

  it('keeps the images a status update reports (an image loaded after the Hello reaches the scheduler)', () => {
    const images = [{ names: ['tool:2'], sizeBytes: 0, platforms: ['linux/amd64'] }];
    const s = readyStatus(NodeStatus.fromPartial({ images }), [], T1);
    expect(s.images).toEqual(images);
  });
});
