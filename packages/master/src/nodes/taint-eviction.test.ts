import { describe, expect, it } from 'vitest';
import { Node, Pod, createLogger, metaOf, wrapNode, wrapPod, type ApiObject, type Taint, type Toleration } from '@orchard/api';
import { FakeClock } from '../testing/fake-clock';
import { TAINT_NOT_READY, TAINT_UNREACHABLE } from './lifecycle-taints';
import { PINNED_NODE_ANNOTATION } from './pinned-pods';
import type { PodEvictor } from './pod-eviction';
import { TaintEviction } from './taint-eviction';
import { TokenBucket } from './token-bucket';

const log = createLogger('taint-eviction-test', 'silent');
const T0 = Date.parse('2026-01-01T00:00:00Z');

function node(name: string, ready: string, taints: Partial<Taint>[] = []): ApiObject {
  return wrapNode(Node.fromPartial({ metadata: { name }, spec: { taints }, status: { conditions: [{ type: 'Ready', status: ready }] } }));
}

function pod(name: string, nodeName: string, opts: { tolerations?: Partial<Toleration>[]; annotations?: Record<string, string>; daemonSet?: boolean } = {}): ApiObject {
  return wrapPod(
    Pod.fromPartial({
      metadata: {
        name,
        namespace: 'default',
        uid: `uid-${name}`,
        annotations: opts.annotations ?? {},
        ownerReferences: opts.daemonSet ? [{ kind: 'DaemonSet', name: 'ds', uid: 'ds-1', controller: true }] : [],
      },
      spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }], tolerations: opts.tolerations ?? [] },
    }),
  );
}

const unreachable = (since = T0): Partial<Taint> => ({ key: TAINT_UNREACHABLE, effect: 'NoExecute', timeAdded: new Date(since).toISOString().replace('.000Z', 'Z') });

/** A small world: nodes and pods the test changes, an evictor that records and unbinds. */
function world(opts: { nodes: ApiObject[]; pods: ApiObject[]; rate?: number; burst?: number; threshold?: number; timeoutMs?: number }) {
  const clock = new FakeClock(T0);
  let pods = opts.pods;
  const evicted: Array<{ pod: string; at: number }> = [];
  const evictor: PodEvictor = {
    evict: async (p) => {
      evicted.push({ pod: metaOf(p).name, at: clock.now() - T0 });
      pods = pods.filter((x) => x !== p);
    },
  };
  const ctl = new TaintEviction({
    nodes: { values: () => opts.nodes.values() },
    pods: { podsOn: (n) => pods.filter((p) => p.resource?.$case === 'pod' && p.resource.pod.spec?.nodeName === n) },
    evictor,
    limiter: new TokenBucket(clock, opts.rate ?? 100, opts.burst),
    clock,
    log,
    defaultTimeoutMs: opts.timeoutMs ?? 3000,
    unhealthyThreshold: opts.threshold ?? 0.55,
  });
  return { clock, evicted, ctl };
}

/** Lets the evictor's promises settle. */
const settle = () => new Promise((r) => setImmediate(r));

async function runFor(w: ReturnType<typeof world>, ms: number, step = 100): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    w.clock.advance(step);
    await settle();
  }
}

describe('TaintEviction', () => {
  const healthy = [node('pi2', 'True'), node('pi3', 'True')];

  it.each([
    { name: 'an untolerating pod leaves after the default timeout', tolerations: [], evictedAt: 3000 },
    {
      name: 'tolerationSeconds on a matching toleration overrides the default',
      tolerations: [{ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1 }],
      evictedAt: 1000,
    },
    { name: 'a matching toleration without seconds keeps the pod', tolerations: [{ key: TAINT_UNREACHABLE, operator: 'Exists' }], evictedAt: undefined },
    {
      name: 'a toleration of another taint does not help',
      tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1 }],
      evictedAt: 3000,
    },
  ])('$name', async ({ tolerations, evictedAt }) => {
    const w = world({ nodes: [node('pi1', 'Unknown', [unreachable()]), ...healthy], pods: [pod('web', 'pi1', { tolerations })] });
    w.ctl.start();
    await runFor(w, 5000);
    // Taint times have second precision: eviction may come a second late, never early.
    if (evictedAt === undefined) expect(w.evicted).toEqual([]);
    else {
      expect(w.evicted.map((e) => e.pod)).toEqual(['web']);
      expect(w.evicted[0]!.at).toBeGreaterThanOrEqual(evictedAt);
      expect(w.evicted[0]!.at).toBeLessThanOrEqual(evictedAt + 1000);
    }
    w.ctl.stop();
  });

  it('evicts at once for a user NoExecute taint nothing tolerates', async () => {
    const w = world({ nodes: [node('pi1', 'True', [{ key: 'maintenance', value: 'now', effect: 'NoExecute' }]), ...healthy], pods: [pod('web', 'pi1')] });
    w.ctl.start();
    await runFor(w, 100);
    expect(w.evicted).toEqual([{ pod: 'web', at: 0 }]);
  });

  it.each([
    { name: 'unreachable', taint: unreachable(T0 - 10_000) },
    { name: 'not-ready', taint: { key: TAINT_NOT_READY, effect: 'NoExecute', timeAdded: new Date(T0 - 10_000).toISOString() } },
  ])('does not evict for a stale $name taint on a node that is Ready again (its removal not yet seen)', async ({ taint }) => {
    const w = world({ nodes: [node('pi1', 'True', [taint]), ...healthy], pods: [pod('web', 'pi1')] });
    w.ctl.start();
    await runFor(w, 5000);
    expect(w.evicted).toEqual([]);
    w.ctl.stop();
  });

  it('counts from when this master saw the taint, not a second-rounded timeAdded', async () => {
    const w = world({ nodes: [node('pi1', 'Unknown', [unreachable(T0)]), ...healthy], pods: [pod('web', 'pi1')] });
    w.clock.advance(400);
    w.ctl.start();
    await runFor(w, 3500, 50);
    expect(w.evicted.map((e) => e.at)).toEqual([3400]);
  });

  it('leaves pods that belong on the node: pinned by the user, DaemonSet-owned', async () => {
    const w = world({
      nodes: [node('pi1', 'Unknown', [unreachable()]), ...healthy],
      pods: [pod('pinned', 'pi1', { annotations: { [PINNED_NODE_ANNOTATION]: 'pi1' } }), pod('ds', 'pi1', { daemonSet: true }), pod('web', 'pi1')],
    });
    w.ctl.start();
    await runFor(w, 6000);
    expect(w.evicted.map((e) => e.pod)).toEqual(['web']);
  });

  it('limits evictions to the token bucket rate', async () => {
    const pods = Array.from({ length: 6 }, (_, i) => pod(`p${i}`, 'pi1'));
    const w = world({ nodes: [node('pi1', 'Unknown', [unreachable()]), ...healthy], pods, rate: 2, burst: 2 });
    w.ctl.start();
    await runFor(w, 3000, 50);
    expect(w.evicted.length).toBe(2);
    await runFor(w, 1000, 50);
    expect(w.evicted.length).toBe(4);
    await runFor(w, 1000, 50);
    expect(w.evicted.length).toBe(6);
  });

  it.each([
    { name: 'every node silent', ready: ['Unknown', 'Unknown', 'Unknown'], evicted: 0 },
    { name: 'more than the threshold silent (2 of 3)', ready: ['Unknown', 'Unknown', 'True'], evicted: 0 },
    { name: 'one of three silent', ready: ['Unknown', 'True', 'True'], evicted: 1 },
  ])('zone-wide silence: $name', async ({ ready, evicted }) => {
    const nodes = ready.map((r, i) => node(`pi${i + 1}`, r, r === 'True' ? [] : [unreachable()]));
    const w = world({ nodes, pods: [pod('web', 'pi1')] });
    w.ctl.start();
    await runFor(w, 8000);
    expect(w.evicted.length).toBe(evicted);
  });

  it('resumes once enough nodes are Ready again', async () => {
    const nodes = [node('pi1', 'Unknown', [unreachable()]), node('pi2', 'Unknown', [unreachable()]), node('pi3', 'True')];
    const w = world({ nodes, pods: [pod('web', 'pi1')] });
    w.ctl.start();
    await runFor(w, 5000);
    expect(w.evicted).toEqual([]);
    nodes[1] = node('pi2', 'True');
    w.ctl.poke();
    await runFor(w, 100);
    expect(w.evicted.map((e) => e.pod)).toEqual(['web']);
  });

  it('stops evicting once stopped (leadership lost)', async () => {
    const w = world({ nodes: [node('pi1', 'Unknown', [unreachable()]), ...healthy], pods: [pod('web', 'pi1')] });
    w.ctl.start();
    await runFor(w, 1000);
    w.ctl.stop();
    await runFor(w, 5000);
    expect(w.evicted).toEqual([]);
    expect(w.clock.pending()).toBe(0);
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate', () => {
    const clock = new FakeClock(0);
    const b = new TokenBucket(clock, 10, 2);
    expect([b.tryTake(), b.tryTake(), b.tryTake()]).toEqual([true, true, false]);
    expect(b.msUntilNext()).toBe(100);
    clock.advance(100);
    expect([b.tryTake(), b.tryTake()]).toEqual([true, false]);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new TokenBucket(new FakeClock(0), 0)).toThrow(/must be positive/);
  });
});
