import { describe, expect, it } from 'vitest';
import { ConflictError, Node, kindByCase, metaOf, objectKey, wrapNode, type ApiObject, type ApplyRequest, type ApplyResponse } from '@orchard/api';
import { run } from '../program';
import { FakeCluster, FakeIo, fakeContext } from '../testing/fake-cluster';

/** A cluster whose first applies fail as if someone wrote the object in between. */
class BusyCluster extends FakeCluster {
  constructor(
    objects: ApiObject[],
    private conflicts: number,
  ) {
    super(objects);
  }

  override async apply(req: ApplyRequest): Promise<ApplyResponse> {
    if (this.conflicts > 0) {
      this.conflicts--;
      this.requests.push({ method: 'apply', req });
      throw new ConflictError('nodes', metaOf(req.objects[0]!).name);
    }
    return super.apply(req);
  }
}

function node(labels: Record<string, string> = {}, unschedulable = false): ApiObject {
  return wrapNode(Node.fromPartial({ metadata: { name: 'pi1', labels, resourceVersion: '7' }, spec: { unschedulable } }));
}

async function orchard(args: string, cluster: FakeCluster) {
  const io = new FakeIo(Date.parse('2026-01-01T12:00:00Z'));
  const code = await run(args.split(' '), fakeContext(io, cluster));
  return { code, out: io.out, err: io.err };
}

function stored(cluster: FakeCluster): ApiObject {
  return cluster.objects.get(objectKey(kindByCase('node'), '', 'pi1'))!;
}

describe('node commands through the CLI', () => {
  it.each([
    { name: 'cordon', args: 'cordon pi1', before: node(), out: 'node/pi1 cordoned\n', unschedulable: true },
    { name: 'cordon again', args: 'cordon pi1', before: node({}, true), out: 'node/pi1 already cordoned\n', unschedulable: true },
    { name: 'uncordon', args: 'uncordon pi1', before: node({}, true), out: 'node/pi1 uncordoned\n', unschedulable: false },
  ])('$name', async ({ args, before, out, unschedulable }) => {
    const cluster = new FakeCluster([before]);
    const r = await orchard(args, cluster);
    expect(r).toMatchObject({ code: 0, out, err: '' });
    const n = stored(cluster);
    expect(n.resource?.$case === 'node' && n.resource.node.spec?.unschedulable).toBe(unschedulable);
  });

  it('sends the resourceVersion it read, and reads again after a conflict', async () => {
    const cluster = new BusyCluster([node()], 2);
    const r = await orchard('label nodes pi1 disk=ssd', cluster);
    expect(r).toMatchObject({ code: 0, out: 'node/pi1 labeled\n' });
    const applies = cluster.calls<ApplyRequest>('apply');
    expect(applies.length).toBe(3);
    for (const a of applies) expect(metaOf(a.objects[0]!).resourceVersion).toBe('7');
    expect(metaOf(stored(cluster)).labels).toEqual({ disk: 'ssd' });
  });

  it('gives up after five conflicts with the master\'s words', async () => {
    const r = await orchard('cordon pi1', new BusyCluster([node()], 10));
    expect(r.code).toBe(1);
    expect(r.err).toBe('error: Operation cannot be fulfilled on nodes "pi1": the object has been modified; please apply your changes to the latest version and try again\n');
  });

  it('refuses to change a label without --overwrite and writes nothing', async () => {
    const cluster = new FakeCluster([node({ disk: 'hdd' })]);
    const r = await orchard('label nodes pi1 disk=ssd', cluster);
    expect(r).toMatchObject({ code: 1, err: "error: 'disk' already has a value (hdd), and --overwrite is false\n" });
    expect(cluster.calls('apply')).toEqual([]);
  });

  it('taints and untaints', async () => {
    const cluster = new FakeCluster([node()]);
    expect(await orchard('taint nodes pi1 dedicated=db:NoSchedule', cluster)).toMatchObject({ code: 0, out: 'node/pi1 tainted\n' });
    const n = stored(cluster);
    expect(n.resource?.$case === 'node' && n.resource.node.spec?.taints.map((t) => `${t.key}=${t.value}:${t.effect}`)).toEqual(['dedicated=db:NoSchedule']);
    expect(await orchard('taint node/pi1 dedicated-', cluster)).toMatchObject({ code: 0, out: 'node/pi1 untainted\n' });
    expect(await orchard('taint pods web k=v:NoSchedule', cluster)).toMatchObject({ code: 1, err: 'error: taint applies to nodes only: orchard taint nodes NODE key=value:Effect\n' });
  });
});
