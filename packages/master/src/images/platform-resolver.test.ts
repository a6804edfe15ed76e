import type { Logger } from '@orchard/api';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/fake-clock';
import { FakeRegistry, json } from './fake-registry';
import type { HttpResponse } from './http-transport';
import { RegistryImagePlatformResolver } from './platform-resolver';
import { MEDIA_OCI_INDEX } from './registry-client';

const IMAGE = 'reg.example/team/app:1';
const URL_ = 'https://reg.example/v2/team/app/manifests/1';
const index = (...archs: string[]) => json(200, { mediaType: MEDIA_OCI_INDEX, manifests: archs.map((a) => ({ platform: { os: 'linux', architecture: a } })) }, MEDIA_OCI_INDEX);
const noCreds = () => undefined;

function recordingLog(): { log: Logger; infos: Array<{ obj: unknown; msg: string }> } {
  const infos: Array<{ obj: unknown; msg: string }> = [];
  const log = { info: (obj: unknown, msg: string) => infos.push({ obj, msg }), debug: () => undefined } as unknown as Logger;
  return { log, infos };
}

function setUp(reg: FakeRegistry, opts: { concurrency?: number; insecure?: string[] } = {}) {
  const clock = new FakeClock(1_000);
  const { log, infos } = recordingLog();
  const resolver = new RegistryImagePlatformResolver({
    transport: reg.transport,
    clock,
    log,
    insecureRegistries: opts.insecure ?? [],
    ttlMs: 60_000,
    failureTtlMs: 10_000,
    timeoutMs: 3_000,
    concurrency: opts.concurrency,
  });
  return { clock, resolver, infos };
}

/** Lets pending promise callbacks run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

describe('RegistryImagePlatformResolver', () => {
  it('caches an answer per reference until its TTL, then refreshes it while still serving it', async () => {
    let archs = ['arm64'];
    const reg = new FakeRegistry().on(URL_, () => index(...archs));
    const { clock, resolver } = setUp(reg);
    expect(resolver.platforms(IMAGE)).toBeUndefined();
    await resolver.resolve([IMAGE, IMAGE], noCreds);
    expect(resolver.platforms(IMAGE)).toEqual(['linux/arm64']);
    expect(resolver.fresh([IMAGE])).toBe(true);
    await resolver.resolve([IMAGE], noCreds);
    expect(reg.requests).toHaveLength(1);

    clock.advance(60_000);
    expect(resolver.fresh([IMAGE])).toBe(false);
    archs = ['arm64', 'amd64'];
    const refresh = resolver.resolve([IMAGE], noCreds);
    expect(resolver.platforms(IMAGE)).toEqual(['linux/arm64']); // the old answer meanwhile
    await refresh;
    expect(resolver.platforms(IMAGE)).toEqual(['linux/arm64', 'linux/amd64']);
    expect(reg.requests).toHaveLength(2);
  });

  it('keeps a failure (negative cache) and logs it once per image at info', async () => {
    const reg = new FakeRegistry().on(URL_, () => {
      throw new Error('getaddrinfo EAI_AGAIN reg.example');
    });
    const { clock, resolver, infos } = setUp(reg);
    await resolver.resolve([IMAGE], noCreds);
    expect(resolver.platforms(IMAGE)).toEqual([]);
    await resolver.resolve([IMAGE], noCreds);
    expect(reg.requests).toHaveLength(1);
    clock.advance(10_000);
    await resolver.resolve([IMAGE], noCreds);
    expect(reg.requests).toHaveLength(2);
    expect(infos).toHaveLength(1);
    expect(infos[0]!.msg).toMatch(/image platforms unknown/);
    expect(infos[0]!.obj).toMatchObject({ image: IMAGE, err: expect.stringMatching(/EAI_AGAIN/) });
  });

  it('keeps the last answer when a refresh fails', async () => {
    let up = true;
    const reg = new FakeRegistry().on(URL_, () => (up ? index('arm64') : json(503, {})));
    const { clock, resolver } = setUp(reg);
    await resolver.resolve([IMAGE], noCreds);
    up = false;
    clock.advance(60_000);
    await resolver.resolve([IMAGE], noCreds);
    expect(resolver.platforms(IMAGE)).toEqual(['linux/arm64']);
  });

  it('gives up on a registry that does not answer within the timeout', async () => {
    let signal: AbortSignal | undefined;
    const reg = new FakeRegistry().on(URL_, (req) => {
      signal = req.signal;
      return new Promise<HttpResponse>(() => undefined); // never answers
    });
    const { clock, resolver, infos } = setUp(reg);
    let done = false;
    const p = resolver.resolve([IMAGE], noCreds).then(() => (done = true));
    await settle();
    clock.advance(2_999);
    await settle();
    expect(done).toBe(false);
    clock.advance(1);
    await p;
    expect(signal?.aborted).toBe(true);
    expect(resolver.platforms(IMAGE)).toEqual([]);
    expect(infos[0]!.obj).toMatchObject({ err: expect.stringMatching(/no answer within 3000 ms/) });
  });

  it('runs at most `concurrency` lookups at once', async () => {
    const release: Array<() => void> = [];
    let inFlight = 0;
    let most = 0;
    const reg = new FakeRegistry();
    for (const n of [1, 2, 3, 4, 5]) {
      reg.on(`https://reg.example/v2/app${n}/manifests/1`, () => {
        most = Math.max(most, ++inFlight);
        return new Promise<HttpResponse>((resolve) => release.push(() => (inFlight--, resolve(index('arm64')))));
      });
    }
    const { resolver } = setUp(reg, { concurrency: 2 });
    const images = [1, 2, 3, 4, 5].map((n) => `reg.example/app${n}:1`);
    const all = resolver.resolve(images, noCreds);
    for (let i = 0; i < 5; i++) {
      await settle();
      release.shift()?.();
    }
    await all;
    expect(most).toBe(2);
    expect(images.map((i) => resolver.platforms(i))).toEqual(images.map(() => ['linux/arm64']));
  });

  const schemes = [
    { name: 'a listed insecure registry', image: '10.9.0.1:5000/app:1', insecure: ['10.9.0.1:5000'], url: 'http://10.9.0.1:5000/v2/app/manifests/1' },
    { name: 'a loopback registry', image: '127.0.0.1:5000/app:1', insecure: [], url: 'http://127.0.0.1:5000/v2/app/manifests/1' },
    { name: 'a registry in a listed CIDR', image: '192.168.77.1:5123/app:1', insecure: ['192.168.77.0/24'], url: 'http://192.168.77.1:5123/v2/app/manifests/1' },
    { name: 'a registry outside the listed CIDR', image: '192.168.78.1:5123/app:1', insecure: ['192.168.77.0/24'], url: 'https://192.168.78.1:5123/v2/app/manifests/1' },
    { name: 'a registry on another port than the listed one', image: '10.9.0.1:5001/app:1', insecure: ['10.9.0.1:5000'], url: 'https://10.9.0.1:5001/v2/app/manifests/1' },
    { name: 'any other registry', image: '10.9.0.1:5000/app:1', insecure: [], url: 'https://10.9.0.1:5000/v2/app/manifests/1' },
  ];
  it.each(schemes)('asks $name over the right scheme', async ({ image, insecure, url }) => {
    const reg = new FakeRegistry().on(url, () => index('amd64'));
    const { resolver } = setUp(reg, { insecure });
    await resolver.resolve([image], noCreds);
    expect(resolver.platforms(image)).toEqual(['linux/amd64']);
  });

  it('keeps at most maxEntries references, dropping the oldest', async () => {
    const reg = new FakeRegistry();
    for (const n of [1, 2, 3]) reg.on(`https://reg.example/v2/app${n}/manifests/1`, () => index('arm64'));
    const clock = new FakeClock();
    const resolver = new RegistryImagePlatformResolver({ transport: reg.transport, clock, log: recordingLog().log, insecureRegistries: [], maxEntries: 2 });
    for (const n of [1, 2, 3]) await resolver.resolve([`reg.example/app${n}:1`], noCreds);
    expect([1, 2, 3].map((n) => resolver.platforms(`reg.example/app${n}:1`))).toEqual([undefined, ['linux/arm64'], ['linux/arm64']]);
  });

  it('treats an invalid reference as unknown', async () => {
    const reg = new FakeRegistry();
    const { resolver, infos } = setUp(reg);
    await resolver.resolve(['Not/Valid'], noCreds);
    expect(resolver.platforms('Not/Valid')).toEqual([]);
    expect(reg.requests).toHaveLength(0);
    expect(infos).toHaveLength(1);
  });
});
