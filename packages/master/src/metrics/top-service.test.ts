import { ApiObject, MasterInfo, Node, Pod, UsageReport, UsageRow, createLogger, wrapNode, wrapPod, type TopRequest } from '@orchard/api';
import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '../store/object-store';
import { TopService } from './top-service';

const T = '2026-01-01T00:00:00Z';

function fakeStore(objects: ApiObject[]): ObjectStore {
  return {
    list: async (kind: { case: string }, ns?: string) => ({
      items: objects.filter((o) => o.resource?.$case === kind.case && (ns === undefined || (o.resource.$case === 'pod' && o.resource.pod.metadata?.namespace === ns))),
      revision: '1',
    }),
  } as unknown as ObjectStore;
}

function service(peerRows: Record<string, UsageRow[] | Error>) {
  const asked: Array<{ address: string; req: TopRequest }> = [];
  const svc = new TopService({
    store: fakeStore([
      wrapNode(Node.fromPartial({ metadata: { name: 'pi1' } })),
      wrapNode(Node.fromPartial({ metadata: { name: 'pi2' } })),
      wrapNode(Node.fromPartial({ metadata: { name: 'pi3' } })),
      wrapPod(Pod.fromPartial({ metadata: { name: 'web', namespace: 'default', uid: 'u1' } })),
    ]),
    log: createLogger('test'),
    selfName: 'm1',
    reports: () =>
      new Map([
        [
          'pi1',
          UsageReport.fromPartial({
            node: { cpuCores: 1, timestamp: T },
            pods: [{ namespace: 'default', name: 'web', uid: 'u1', usage: { cpuCores: 0.5, timestamp: T } }],
          }),
        ],
      ]),
    masters: async () => [MasterInfo.fromPartial({ name: 'm1', address: 'a1' }), MasterInfo.fromPartial({ name: 'm2', address: 'a2' }), MasterInfo.fromPartial({ name: 'm3', address: 'a3' })],
    askPeer: async (address, req) => {
      asked.push({ address, req });
      const r = peerRows[address] ?? [];
      if (r instanceof Error) throw r;
      return r;
    },
  });
  return { svc, asked };
}

describe('TopService', () => {
  it('answers a client with its own nodes and those its peers hold; a silent peer costs only its nodes', async () => {
    const { svc, asked } = service({ a2: [UsageRow.fromPartial({ name: 'pi2', cpuCores: 2, timestamp: T })], a3: new Error('unreachable') });
    const res = await svc.top({ kind: 'nodes', namespace: '', allNamespaces: false, labelSelector: '', name: '' }, 'cluster');
    expect(res.rows.map((r) => [r.name, r.cpuCores, r.timestamp])).toEqual([
      ['pi1', 1, T],
      ['pi2', 2, T],
      ['pi3', 0, ''],
    ]);
    expect(asked.map((a) => a.address)).toEqual(['a2', 'a3']);
  });

  it('answers a peer from memory alone, rows with figures only', async () => {
    const { svc, asked } = service({});
    const res = await svc.top({ kind: 'no', namespace: '', allNamespaces: false, labelSelector: '', name: '' }, 'local');
    expect(res.rows.map((r) => r.name)).toEqual(['pi1']);
    expect(asked).toEqual([]);
  });

  it('pods of the namespace asked', async () => {
    const { svc } = service({});
    const inDefault = await svc.top({ kind: 'pods', namespace: '', allNamespaces: false, labelSelector: '', name: '' }, 'cluster');
    expect(inDefault.rows.map((r) => [r.name, r.cpuCores])).toEqual([['web', 0.5]]);
    const inDev = await svc.top({ kind: 'pods', namespace: 'dev', allNamespaces: false, labelSelector: '', name: '' }, 'cluster');
    expect(inDev.rows).toEqual([]);
  });

  it.each([
    { name: 'an unknown kind', kind: 'deployments', sel: '', msg: /unknown kind "deployments"/ },
    { name: 'a bad selector', kind: 'pods', sel: 'a in (', msg: /selector/ },
  ])('refuses $name', async ({ kind, sel, msg }) => {
    const { svc } = service({});
    await expect(svc.top({ kind, namespace: '', allNamespaces: false, labelSelector: sel, name: '' }, 'cluster')).rejects.toThrow(msg);
  });
});
