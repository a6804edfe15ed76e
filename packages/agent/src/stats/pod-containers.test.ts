import { describe, expect, it } from 'vitest';
import { podContainersFromLabels, type LabelledContainer } from './pod-containers';
import type { PodContainers } from './usage-sampler';

function c(id: string, state: string, uid: string | undefined, container: string): LabelledContainer {
  const labels: Record<string, string> = { 'io.orchard.container.name': container };
  if (uid) Object.assign(labels, { 'io.orchard.pod.uid': uid, 'io.orchard.pod.name': `pod-${uid}`, 'io.orchard.pod.namespace': 'default' });
  return { id, state, labels };
}

describe('podContainersFromLabels', () => {
  const cases: { name: string; containers: LabelledContainer[]; want: PodContainers[] }[] = [
    { name: 'nothing running', containers: [], want: [] },
    {
      name: 'a two-container pod with its infra container',
      containers: [c('i1', 'running', 'u1', 'POD'), c('a1', 'running', 'u1', 'web'), c('b1', 'running', 'u1', 'sidecar')],
      want: [
        {
          uid: 'u1',
          namespace: 'default',
          name: 'pod-u1',
          containers: [
            { name: 'POD', id: 'i1', infra: true },
            { name: 'web', id: 'a1' },
            { name: 'sidecar', id: 'b1' },
          ],
        },
      ],
    },
    {
      name: "the previous attempt's exited container and foreign containers are skipped",
      containers: [c('old', 'exited', 'u1', 'web'), c('new', 'running', 'u1', 'web'), c('x', 'running', undefined, 'registry')],
      want: [{ uid: 'u1', namespace: 'default', name: 'pod-u1', containers: [{ name: 'web', id: 'new' }] }],
    },
    {
      name: 'two pods',
      containers: [c('a', 'running', 'u1', 'c'), c('b', 'running', 'u2', 'c'), c('d', 'restarting', 'u2', 'd')],
      want: [
        { uid: 'u1', namespace: 'default', name: 'pod-u1', containers: [{ name: 'c', id: 'a' }] },
        { uid: 'u2', namespace: 'default', name: 'pod-u2', containers: [{ name: 'c', id: 'b' }] },
      ],
    },
  ];
  it.each(cases)('$name', ({ containers, want }) => {
    expect(podContainersFromLabels(containers)).toEqual(want);
  });
});
