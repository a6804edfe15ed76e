import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Node, Pod, createLogger, kindByCase, systemClock, wrapNode, wrapPod, type ApiObject } from '@orchard/api';
import type { RegistryPlatforms } from '../images/pod-image-gate';
import { Informer } from '../store/cache';
import { ObjectStore } from '../store/object-store';
import { PodsByNode } from '../store/pods-by-node';
import { startEtcdFixture, type EtcdFixture } from '../testing/etcd-fixture';
import { findPlacement } from './framework/find-placement';
import { Scheduler } from './scheduler';

// The scheduler with registry platforms: a pod waits (off the loop) for its image's
// platforms, and the architecture filter then keeps it off nodes the image cannot run on.

const log = createLogger('scheduler-registry-test', 'silent');

async function until<T>(fn: () => T | undefined | false, ms = 5000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function pod(name: string, image: string): ApiObject {
  return wrapPod(Pod.fromPartial({ metadata: { name, namespace: 'default', uid: `uid-${name}` }, spec: { containers: [{ name: 'c', image }] } }));
}

function node(name: string, architecture: string): ApiObject {
  return wrapNode(
    Node.fromPartial({
      metadata: { name, uid: `uid-${name}` },
      status: {
        allocatable: { cpu: '4', memory: '4Gi', pods: '10' },
        nodeInfo: { architecture, operatingSystem: 'linux' },
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    }),
  );
}

/** Registry answers the test releases by hand. */
class ManualRegistry implements RegistryPlatforms {
  readonly known = new Map<string, string[]>();
  private readonly waiting: Array<() => void> = [];
  admit(p: Pod): Promise<void> | undefined {
    if (p.spec!.containers.every((c) => this.known.has(c.image))) return undefined;
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  platforms(image: string) {
    return this.known.get(image);
  }
  answer(image: string, platforms: string[]): void {
    this.known.set(image, platforms);
    for (const w of this.waiting.splice(0)) w();
  }
}

describe('Scheduler with registry image platforms', () => {
  let fx: EtcdFixture;
  let store: ObjectStore;
  let pods: Informer;
  let nodes: Informer;
  let scheduler: Scheduler | undefined;

  beforeAll(async () => {
    fx = await startEtcdFixture(22380);
    store = new ObjectStore(fx.client());
  }, 30_000);
  afterAll(async () => {
    await fx?.stop();
  });
  beforeEach(async () => {
    await fx.client().delete().prefix('/orchard/');
    await fx.client().put('/test/leader').value('me');
    pods = new Informer(store, kindByCase('pod'), log);
    nodes = new Informer(store, kindByCase('node'), log);
    await pods.start();
    await nodes.start();
  });
  afterEach(async () => {
    await scheduler?.stop();
    await pods.stop();
    await nodes.stop();
  });

  const podOf = (name: string) => {
    const o = pods.get('default', name);
    return o?.resource?.$case === 'pod' ? o.resource.pod : undefined;
  };

  it('places a pod only once its image is resolved, on a node of a platform the image provides', async () => {
    await store.create(node('pc', 'amd64'));
    await store.create(node('pi', 'arm64'));
    await until(() => nodes.list().length === 2);
    const registry = new ManualRegistry();
    const kv = (await fx.client().get('/test/leader').exec()).kvs[0]!;
    scheduler = new Scheduler({
      store,
      pods,
      nodes,
      podsByNode: new PodsByNode(pods),
      clock: systemClock,
      log,
      fence: () => ({ key: '/test/leader', createRevision: kv.create_revision }),
      place: (p, s) => findPlacement(p, s),
      registryPlatforms: registry,
    });
    scheduler.start();

    await store.create(pod('arm', 'reg.example/arm64-only:1'));
    await store.create(pod('x86', 'reg.example/amd64-only:1'));
    await new Promise((r) => setTimeout(r, 200));
    expect(podOf('arm')?.spec?.nodeName).toBe('');
    expect(podOf('x86')?.spec?.nodeName).toBe('');

    registry.answer('reg.example/arm64-only:1', ['linux/arm64']);
    registry.answer('reg.example/amd64-only:1', ['linux/amd64']);
    expect(await until(() => podOf('arm')?.spec?.nodeName)).toBe('pi');
    expect(await until(() => podOf('x86')?.spec?.nodeName)).toBe('pc');

    // Known now: a pod of an image neither node runs is Pending with the filter's reason.
    registry.answer('reg.example/riscv:1', ['linux/riscv64']);
    await store.create(pod('rv', 'reg.example/riscv:1'));
    const cond = await until(() => podOf('rv')?.status?.conditions.find((c) => c.type === 'PodScheduled' && c.status === 'False'));
    expect(cond.message).toBe("0/2 nodes are available: 2 node(s) didn't match the architecture of the pod's images.");
  });
});
