import { describe, expect, it } from 'vitest';
import { FakeRuntime } from '../runtime/fake-runtime';
import { ImagePullError } from '../runtime/errors';
import { FakeClock } from './fake-clock';
import { ImageNeverPullError, ImagePuller, effectivePullPolicy } from './image-puller';

describe('effectivePullPolicy', () => {
  const cases: Array<[string, string, string]> = [
    ['busybox', '', 'Always'],
    ['busybox:latest', '', 'Always'],
    ['busybox:1.36', '', 'IfNotPresent'],
    ['192.168.77.1:25000/app', '', 'Always'],
    ['192.168.77.1:25000/app:1', '', 'IfNotPresent'],
    ['app@sha256:abc', '', 'IfNotPresent'],
    ['busybox:1.36', 'Always', 'Always'],
  ];
  for (const [image, policy, want] of cases) it(`${image} ${policy || '(unset)'} → ${want}`, () => expect(effectivePullPolicy(image, policy)).toBe(want));
});

describe('ImagePuller.ensure', () => {
  const auth = { username: 'alice', password: 'pw', serveraddress: 'r:5000' };
  const cases: Array<{ name: string; present: boolean; policy: string; pulls: number; error?: new (...a: never[]) => Error }> = [
    { name: 'IfNotPresent with the image: no pull', present: true, policy: 'IfNotPresent', pulls: 0 },
    { name: 'IfNotPresent without it: one pull', present: false, policy: 'IfNotPresent', pulls: 1 },
    { name: 'Always with the image: still asks the registry', present: true, policy: 'Always', pulls: 1 },
    { name: 'Never with the image: no pull', present: true, policy: 'Never', pulls: 0 },
    { name: 'Never without it: ErrImageNeverPull', present: false, policy: 'Never', pulls: 0, error: ImageNeverPullError },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const runtime = new FakeRuntime(new FakeClock(0));
      if (c.present) runtime.images.add('r:5000/app:1');
      const puller = new ImagePuller(runtime);
      const done = puller.ensure('r:5000/app:1', c.policy, auth);
      if (c.error) await expect(done).rejects.toBeInstanceOf(c.error);
      else await done;
      expect(runtime.calls.filter((x) => x.startsWith('pull '))).toHaveLength(c.pulls);
    });
  }

  it('shares a pull between callers with the same credentials only', async () => {
    const runtime = new FakeRuntime(new FakeClock(0));
    const puller = new ImagePuller(runtime);
    await Promise.all([
      puller.ensure('r:5000/app:1', 'Always', auth),
      puller.ensure('r:5000/app:1', 'Always', auth),
      puller.ensure('r:5000/app:1', 'Always', { ...auth, password: 'other' }),
    ]);
    expect(runtime.calls.filter((x) => x.startsWith('pull '))).toHaveLength(2);
  });

  it('passes the registry\'s refusal on as ImagePullError', async () => {
    const runtime = new FakeRuntime(new FakeClock(0));
    runtime.pullFailures.set('r:5000/app:1', 'unauthorized: authentication required');
    await expect(new ImagePuller(runtime).ensure('r:5000/app:1', 'IfNotPresent', auth)).rejects.toThrow(ImagePullError);
    await expect(new ImagePuller(runtime).ensure('r:5000/app:1', 'IfNotPresent', auth)).rejects.toThrow(/unauthorized: authentication required/);
  });
});

describe('ImagePuller presence cache', () => {
  const spec = { name: 'c', image: 'r:5000/app:1', labels: {}, env: [], networkMode: 'bridge', exposedPorts: [], portBindings: [] };
  const asked = (runtime: FakeRuntime) => runtime.calls.filter((x) => x === 'image r:5000/app:1').length;

  it('asks the engine about an image once, however many pods start with it', async () => {
    const runtime = new FakeRuntime(new FakeClock(0));
    runtime.images.add('r:5000/app:1');
    const puller = new ImagePuller(runtime);
    await Promise.all(Array.from({ length: 8 }, () => puller.ensure('r:5000/app:1', 'IfNotPresent')));
    await puller.ensure('r:5000/app:1', 'Never');
    expect(asked(runtime)).toBe(1);
  });

  it('remembers an image it pulled', async () => {
    const runtime = new FakeRuntime(new FakeClock(0));
    const puller = new ImagePuller(runtime);
    await puller.ensure('r:5000/app:1', 'IfNotPresent');
    await puller.ensure('r:5000/app:1', 'IfNotPresent');
    expect(asked(runtime)).toBe(1);
    expect(runtime.calls.filter((x) => x.startsWith('pull '))).toHaveLength(1);
  });

  const gone: Array<{ name: string; policy: string; pulls: number; error?: new (...a: never[]) => Error }> = [
    { name: 'IfNotPresent: pulled again and created', policy: 'IfNotPresent', pulls: 1 },
    { name: 'Never: ErrImageNeverPull, nothing created', policy: 'Never', pulls: 0, error: ImageNeverPullError },
  ];
  for (const c of gone) {
    it(`an image removed by hand after it was seen: ${c.name}`, async () => {
      const runtime = new FakeRuntime(new FakeClock(0));
      runtime.requireImages = true;
      runtime.images.add('r:5000/app:1');
      const puller = new ImagePuller(runtime);
      await puller.ensure('r:5000/app:1', c.policy);
      runtime.images.delete('r:5000/app:1');
      const created = puller.createContainer(spec, c.policy);
      if (c.error) await expect(created).rejects.toBeInstanceOf(c.error);
      else expect(runtime.containers.has(await created)).toBe(true);
      expect(runtime.calls.filter((x) => x.startsWith('pull '))).toHaveLength(c.pulls);
      expect(asked(runtime)).toBe(2);
    });
  }

  it('passes other create errors on untouched', async () => {
    const runtime = new FakeRuntime(new FakeClock(0));
    runtime.images.add('r:5000/app:1');
    const puller = new ImagePuller(runtime);
    await expect(puller.createContainer({ ...spec, memoryBytes: 1024 }, 'IfNotPresent')).rejects.toThrow(/Minimum memory limit/);
    expect(asked(runtime)).toBe(0);
  });
});
