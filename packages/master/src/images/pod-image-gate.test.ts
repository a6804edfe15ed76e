import { Pod } from '@orchard/api';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/fake-clock';
import type { ImagePlatformResolver } from './platform-resolver';
import { PodImageGate } from './pod-image-gate';

/** A resolver whose lookups finish when the test says so. */
class ManualResolver implements ImagePlatformResolver {
  readonly answers = new Map<string, string[]>();
  readonly asked: string[][] = [];
  private finish: (() => void) | undefined;

  platforms(image: string) {
    return this.answers.get(image);
  }
  fresh(images: readonly string[]) {
    return images.every((i) => this.answers.has(i));
  }
  resolve(images: readonly string[]) {
    this.asked.push([...images]);
    return new Promise<void>((resolve) => (this.finish = () => {
      for (const i of images) this.answers.set(i, ['linux/arm64']);
      resolve();
    }));
  }
  answer(): void {
    this.finish?.();
  }
}

const settle = () => new Promise<void>((r) => setImmediate(r));

function podWith(...containers: Array<{ image: string; imagePullPolicy?: string }>): Pod {
  return Pod.fromPartial({ metadata: { name: 'p', namespace: 'default' }, spec: { containers: containers.map((c, i) => ({ name: `c${i}`, ...c })) } });
}

function setUp(reported: string[] = []) {
  const clock = new FakeClock();
  const resolver = new ManualResolver();
  const gate = new PodImageGate({ resolver, secrets: () => undefined, reportedByNodes: (i) => reported.includes(i), clock, maxWaitMs: 2000 });
  return { clock, resolver, gate };
}

describe('PodImageGate', () => {
  it('lets a pod through once its images are resolved', async () => {
    const { resolver, gate } = setUp();
    let through = false;
    void gate.admit(podWith({ image: 'reg.example/app:1' }))!.then(() => (through = true));
    await settle();
    expect(through).toBe(false);
    resolver.answer();
    await settle();
    expect(through).toBe(true);
    expect(gate.platforms('reg.example/app:1')).toEqual(['linux/arm64']);
    expect(gate.admit(podWith({ image: 'reg.example/app:1' }))).toBeUndefined();
  });

  it('lets a pod through after the bounded wait when the registry is slow', async () => {
    const { clock, gate } = setUp();
    let through = false;
    void gate.admit(podWith({ image: 'reg.example/app:1' }))!.then(() => (through = true));
    clock.advance(1999);
    await settle();
    expect(through).toBe(false);
    clock.advance(1);
    await settle();
    expect(through).toBe(true);
    expect(gate.platforms('reg.example/app:1')).toBeUndefined();
  });

  const skipped = [
    { name: 'an image nodes report (made locally)', pod: podWith({ image: 'local/app:1' }), reported: ['local/app:1'] },
    { name: 'an image never pulled', pod: podWith({ image: 'reg.example/app:1', imagePullPolicy: 'Never' }), reported: [] },
    { name: 'a pod without images', pod: Pod.fromPartial({ spec: { containers: [] } }), reported: [] },
  ];
  it.each(skipped)('does not ask the registry about $name', ({ pod, reported }) => {
    const { resolver, gate } = setUp(reported);
    expect(gate.admit(pod)).toBeUndefined();
    expect(resolver.asked).toEqual([]);
  });

  it('asks about a reported image the pod pulls anyway (Always), and every container once', async () => {
    const { resolver, gate } = setUp(['local/app:1']);
    const wait = gate.admit(podWith({ image: 'local/app:1', imagePullPolicy: 'Always' }, { image: 'b:1' }, { image: 'b:1' }));
    expect(wait).toBeDefined();
    expect(resolver.asked).toEqual([['local/app:1', 'b:1']]);
    resolver.answer();
    await wait;
  });
});
