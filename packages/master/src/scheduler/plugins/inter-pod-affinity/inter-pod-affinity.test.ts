import { describe, expect, it } from 'vitest';
import { Affinity } from '@orchard/api';
import type { PodOptions } from '../../framework/fixtures';
import { makeNode, makePod } from '../../framework/fixtures';
import { runFilter } from '../../framework/run-plugin';
import {
  ErrReasonAffinityRulesNotMatch,
  ErrReasonAntiAffinityRulesNotMatch,
  ErrReasonExistingAntiAffinityRulesNotMatch,
  interPodAffinity,
} from './inter-pod-affinity';

const HOST = 'kubernetes.io/hostname';

function antiAffinity(matchLabels: Record<string, string>, topologyKey = HOST, namespaces: string[] = []): Affinity {
  return Affinity.fromPartial({
    podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels }, topologyKey, namespaces }] },
  });
}

function affinity(matchLabels: Record<string, string>, topologyKey = HOST): Affinity {
  return Affinity.fromPartial({
    podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels }, topologyKey }] },
  });
}

describe('InterPodAffinity', () => {
  // Two nodes: "a" holds a web pod (zone z1), "b" is empty (zone z2). The pod is checked against "a".
  const cases: { name: string; onA: (PodOptions & { deleting?: boolean })[]; pod: PodOptions; reasons: string[] }[] = [
    { name: 'no rules fit', onA: [{ labels: { app: 'web' } }], pod: {}, reasons: [] },
    {
      name: 'anti-affinity against a pod on the node rejects',
      onA: [{ labels: { app: 'web' } }],
      pod: { labels: { app: 'web' }, affinity: antiAffinity({ app: 'web' }) },
      reasons: [ErrReasonAntiAffinityRulesNotMatch],
    },
    {
      name: 'anti-affinity against other labels fits',
      onA: [{ labels: { app: 'db' } }],
      pod: { labels: { app: 'web' }, affinity: antiAffinity({ app: 'web' }) },
      reasons: [],
    },
    {
      name: 'anti-affinity only looks in the pod namespace by default',
      onA: [{ labels: { app: 'web' }, namespace: 'other' }],
      pod: { labels: { app: 'web' }, affinity: antiAffinity({ app: 'web' }) },
      reasons: [],
    },
    {
      name: 'anti-affinity with listed namespaces looks there',
      onA: [{ labels: { app: 'web' }, namespace: 'other' }],
      pod: { labels: { app: 'web' }, affinity: antiAffinity({ app: 'web' }, HOST, ['other']) },
      reasons: [ErrReasonAntiAffinityRulesNotMatch],
    },
    {
      name: 'anti-affinity over zones rejects the whole zone',
      onA: [],
      pod: { labels: { app: 'web' }, affinity: antiAffinity({ app: 'web' }, 'zone') },
      reasons: [ErrReasonAntiAffinityRulesNotMatch],
    },
    {
      name: 'an existing pod’s anti-affinity keeps the pod away',
      onA: [{ labels: { app: 'db' }, affinity: antiAffinity({ app: 'web' }) }],
      pod: { labels: { app: 'web' } },
      reasons: [ErrReasonExistingAntiAffinityRulesNotMatch],
    },
    {
      name: 'replicas that keep apart both ways: the pod’s own anti-affinity is the reason, as in Kubernetes',
      onA: [{ labels: { app: 'web' }, affinity: antiAffinity({ app: 'web' }) }],
      pod: { labels: { app: 'web' }, affinity: antiAffinity({ app: 'web' }) },
      reasons: [ErrReasonAntiAffinityRulesNotMatch],
    },
    {
      name: 'affinity unmet and anti-affinity violated: affinity is the reason, as in Kubernetes',
      onA: [{ labels: { app: 'web' } }],
      pod: { labels: { app: 'web' }, affinity: Affinity.fromPartial({ ...affinity({ app: 'db' }), podAntiAffinity: antiAffinity({ app: 'web' }).podAntiAffinity }) },
      reasons: [ErrReasonAffinityRulesNotMatch],
    },
    {
      name: 'an existing pod being deleted keeps nobody away',
      onA: [{ labels: { app: 'db' }, affinity: antiAffinity({ app: 'web' }), deleting: true }],
      pod: { labels: { app: 'web' } },
      reasons: [],
    },
    {
      name: 'a pod being deleted does not count for anti-affinity',
      onA: [{ labels: { app: 'web' }, deleting: true }],
      pod: { labels: { app: 'web' }, affinity: antiAffinity({ app: 'web' }) },
      reasons: [],
    },
    {
      name: 'an existing pod’s anti-affinity for other labels does not',
      onA: [{ labels: { app: 'db' }, affinity: antiAffinity({ app: 'cache' }) }],
      pod: { labels: { app: 'web' } },
      reasons: [],
    },
    {
      name: 'affinity to a pod on the node fits',
      onA: [{ labels: { app: 'db' } }],
      pod: { labels: { app: 'web' }, affinity: affinity({ app: 'db' }) },
      reasons: [],
    },
    {
      name: 'affinity to a pod that runs elsewhere rejects',
      onA: [],
      pod: { labels: { app: 'web' }, affinity: affinity({ app: 'db' }) },
      reasons: [ErrReasonAffinityRulesNotMatch],
    },
    {
      name: 'self-affinity lets the first pod of a group in',
      onA: [],
      pod: { labels: { app: 'api' }, affinity: affinity({ app: 'api' }) },
      reasons: [],
    },
    {
      name: 'self-affinity joins the group once it exists elsewhere',
      onA: [],
      pod: { labels: { app: 'web' }, affinity: affinity({ app: 'web' }) },
      reasons: [ErrReasonAffinityRulesNotMatch],
    },
  ];
  it.each(cases)('$name', ({ onA, pod, reasons }) => {
    const a = makeNode({ name: 'a', labels: { zone: 'z1' }, pods: onA.map(({ deleting, ...o }, i) => {
      const p = makePod({ name: `a-${i}`, ...o });
      if (deleting) p.metadata!.deletionTimestamp = '2026-01-01T00:00:00Z';
      return p;
    }) });
    const b = makeNode({ name: 'b', labels: { zone: 'z2' }, pods: [makePod({ name: 'b-0', labels: { app: 'other' } })] });
    const z1 = makeNode({ name: 'c', labels: { zone: 'z1' }, pods: [makePod({ name: 'c-0', labels: { app: 'web' } })] });
    const status = runFilter(interPodAffinity(), makePod(pod), a, { nodes: [a, b, z1] });
    expect(status.reasons).toEqual(reasons);
  });
});
