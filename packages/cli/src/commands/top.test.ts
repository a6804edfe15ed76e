import { UsageRow, type TopRequest } from '@orchard/api';
import { describe, expect, it } from 'vitest';
import { run } from '../program';
import { FakeCluster, FakeIo, fakeContext } from '../testing/fake-cluster';

const TS = '2026-01-01T00:00:00Z';

async function orchard(args: string, rows: UsageRow[]) {
  const cluster = new FakeCluster();
  cluster.usageRows = rows;
  const io = new FakeIo(Date.parse(TS));
  const code = await run(args.split(' ').filter((a) => a !== ''), fakeContext(io, cluster));
  const req = cluster.requests.find((r) => r.method === 'top')?.req as TopRequest | undefined;
  return { code, out: io.out, err: io.err, req };
}

const pi1 = UsageRow.fromPartial({ name: 'pi1', cpuCores: 0.25, memoryWorkingSetBytes: 512 * 2 ** 20, allocatableCpuMillis: 2000, allocatableMemoryBytes: 2048 * 2 ** 20, timestamp: TS });
const pi2 = UsageRow.fromPartial({ name: 'pi2', allocatableCpuMillis: 4000 });
const burn = UsageRow.fromPartial({
  namespace: 'default',
  name: 'burn',
  cpuCores: 0.4994,
  memoryWorkingSetBytes: 33 * 2 ** 20,
  timestamp: TS,
  containers: [
    { name: 'loop', cpuCores: 0.499, memoryWorkingSetBytes: 32 * 2 ** 20 },
    { name: 'side', cpuCores: 0.0004, memoryWorkingSetBytes: 2 ** 20 },
  ],
});

describe('orchard top', () => {
  it.each([
    {
      name: 'nodes, percentages of allocatable, <unknown> without a report',
      args: 'top nodes',
      rows: [pi1, pi2],
      out: 'NAME   CPU(cores)   CPU%        MEMORY(bytes)   MEMORY%\npi1    250m         13%         512Mi           25%\npi2    <unknown>    <unknown>   <unknown>       <unknown>\n',
    },
    { name: 'pods', args: 'top pods', rows: [burn], out: 'NAME   CPU(cores)   MEMORY(bytes)\nburn   499m         33Mi\n' },
    {
      name: 'pods of every namespace, per container',
      args: 'top pods -A --containers',
      rows: [burn],
      out: 'NAMESPACE   POD    NAME   CPU(cores)   MEMORY(bytes)\ndefault     burn   loop   499m         32Mi\ndefault     burn   side   0m           1Mi\n',
    },
    { name: 'no headers', args: 'top po --no-headers', rows: [burn], out: 'burn   499m   33Mi\n' },
  ])('$name', async ({ args, rows, out }) => {
    const r = await orchard(args, rows);
    expect(r.err).toBe('');
    expect(r.out).toBe(out);
    expect(r.code).toBe(0);
  });

  it.each([
    { name: 'no pod has usage', args: 'top pods', rows: [] },
    { name: 'no node has reported', args: 'top nodes', rows: [pi2] },
  ])('says metrics are not available when $name', async ({ args, rows }) => {
    const r = await orchard(args, rows);
    expect(r.code).toBe(1);
    expect(r.err).toBe('error: metrics not available yet\n');
  });

  it('passes namespace, name, selector and -A to the master', async () => {
    const r = await orchard('top pods burn -n dev -l app=x', [burn]);
    expect(r.req).toMatchObject({ kind: 'pods', name: 'burn', namespace: 'dev', labelSelector: 'app=x', allNamespaces: false });
    const all = await orchard('top pods -A', [burn]);
    expect(all.req).toMatchObject({ kind: 'pods', allNamespaces: true });
  });
});
