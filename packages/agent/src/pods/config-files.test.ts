import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigMap, Pod, Secret, Volume } from '@orchard/api';
import { ConfigVolumes, volumeFiles } from './config-files';
import { PodConfig } from './pod-config';

function podWith(volumes: Array<Partial<Volume>>): Pod {
  return Pod.fromPartial({ metadata: { name: 'web', namespace: 'default', uid: 'uid-1' }, spec: { volumes } });
}

function configWith(data: Record<string, string>, secretData: Record<string, string> = {}): PodConfig {
  const c = new PodConfig();
  c.set(
    [ConfigMap.fromPartial({ metadata: { name: 'cfg', namespace: 'default' }, data })],
    [Secret.fromPartial({ metadata: { name: 'sec', namespace: 'default' }, data: Object.fromEntries(Object.entries(secretData).map(([k, v]) => [k, Buffer.from(v)])) })],
  );
  return c;
}

describe('volumeFiles', () => {
  const config = configWith({ 'a.conf': 'A', 'b.conf': 'B' }, { token: 'T' });
  const cases: Array<{ name: string; volume: Partial<Volume>; files?: Record<string, [string, number]>; error?: string }> = [
    { name: 'every key of a ConfigMap', volume: { name: 'v', configMap: { name: 'cfg', items: [] } }, files: { 'a.conf': ['A', 0o644], 'b.conf': ['B', 0o644] } },
    { name: 'items with paths and modes', volume: { name: 'v', configMap: { name: 'cfg', items: [{ key: 'a.conf', path: 'conf/app.conf', mode: 0o600 }], defaultMode: 0o640 } }, files: { 'conf/app.conf': ['A', 0o600] } },
    { name: 'defaultMode', volume: { name: 'v', secret: { secretName: 'sec', items: [], defaultMode: 0o400 } }, files: { token: ['T', 0o400] } },
    { name: 'a missing ConfigMap', volume: { name: 'v', configMap: { name: 'gone', items: [] } }, error: 'MountVolume.SetUp failed for volume "v": configmap "gone" not found' },
    { name: 'a missing optional Secret', volume: { name: 'v', secret: { secretName: 'gone', items: [], optional: true } }, files: {} },
    { name: 'an item of a missing key', volume: { name: 'v', configMap: { name: 'cfg', items: [{ key: 'nope', path: 'x' }] } }, error: 'configmap "cfg" references non-existent key: nope' },
    { name: 'an item path leaving the volume', volume: { name: 'v', configMap: { name: 'cfg', items: [{ key: 'a.conf', path: '../x' }] } }, error: 'invalid path "../x"' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const pod = podWith([c.volume]);
      const out = volumeFiles(pod, pod.spec!.volumes[0]!, config);
      if (c.error) {
        expect(typeof out).toBe('string');
        expect(out).toContain(c.error);
      } else {
        expect(typeof out).not.toBe('string');
        const files = Object.fromEntries([...(out as Map<string, { data: Buffer; mode: number }>)].map(([k, f]) => [k, [f.data.toString(), f.mode]]));
        expect(files).toEqual(c.files);
      }
    });
  }
});

describe('ConfigVolumes', () => {
  let root: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'orchard-config-files-'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  const pod = podWith([{ name: 'config', configMap: { name: 'cfg', items: [] } }]);

  it('projects the files through ..data and swaps them atomically on change', async () => {
    const volumes = new ConfigVolumes(root);
    const first = (await volumes.project(pod, configWith({ 'a.conf': 'one', 'old.conf': 'x' }))).get('config')!;
    expect(first.error).toBeUndefined();
    expect(await fs.readFile(path.join(first.dir, 'a.conf'), 'utf8')).toBe('one');
    expect(await fs.readlink(path.join(first.dir, 'a.conf'))).toBe('..data/a.conf');
    const gen1 = await fs.readlink(path.join(first.dir, '..data'));

    // An open handle on the directory (a running container's bind mount) sees the change.
    const second = (await volumes.project(pod, configWith({ 'a.conf': 'two' }))).get('config')!;
    expect(await fs.readFile(path.join(second.dir, 'a.conf'), 'utf8')).toBe('two');
    const gen2 = await fs.readlink(path.join(second.dir, '..data'));
    expect(gen2).not.toBe(gen1);
    const entries = (await fs.readdir(second.dir)).sort();
    expect(entries).toEqual(['..data', gen2, 'a.conf'].sort());
  });

  it('writes nothing while the content is unchanged, also after a restart', async () => {
    const config = configWith({ 'a.conf': 'same' });
    await new ConfigVolumes(root).project(pod, config);
    const dir = path.join(root, 'uid-1', 'volumes', 'config');
    const gen = await fs.readlink(path.join(dir, '..data'));
    const restarted = new ConfigVolumes(root);
    await restarted.project(pod, config);
    await restarted.project(pod, config);
    expect(await fs.readlink(path.join(dir, '..data'))).toBe(gen);
  });

  it('keeps the pod directory private to root and removes it with the pod', async () => {
    const volumes = new ConfigVolumes(root);
    const secretPod = podWith([{ name: 'creds', secret: { secretName: 'sec', items: [] } }]);
    const v = (await volumes.project(secretPod, configWith({}, { token: 'T' }))).get('creds')!;
    expect((await fs.stat(path.join(root, 'uid-1'))).mode & 0o777).toBe(0o700);
    expect((await fs.stat(path.join(v.dir, 'token'))).mode & 0o777).toBe(0o644);
    await volumes.removePod('uid-1');
    await expect(fs.stat(path.join(root, 'uid-1'))).rejects.toThrow();
  });

  it('reports a missing ConfigMap without writing anything', async () => {
    const volumes = new ConfigVolumes(root);
    const v = (await volumes.project(pod, new PodConfig())).get('config')!;
    expect(v.error).toContain('configmap "cfg" not found');
    await expect(fs.stat(v.dir)).rejects.toThrow();
  });
});
