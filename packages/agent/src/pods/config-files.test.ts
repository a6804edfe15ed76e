import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigMap, Pod, Secret, Volume } from '@orchard/api';
import { ConfigVolumes, SECRET_TMPFS_BYTES, volumeFiles } from './config-files';
import { parseMountInfo, type Mounter } from './mounter';
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

/** Records mounts instead of making them; a mounted directory is one whose files "live in memory". */
class FakeMounter implements Mounter {
  readonly mounted = new Map<string, number>();
  readonly calls: string[] = [];
  failWith?: Error;

  async isTmpfs(dir: string): Promise<boolean> {
    return this.mounted.has(dir);
  }
  async mountTmpfs(dir: string, sizeBytes: number): Promise<void> {
    this.calls.push(`mount ${path.basename(dir)}`);
    if (this.failWith) throw this.failWith;
    // A fresh tmpfs is empty: whatever was in the directory is hidden.
    expect(await fs.readdir(dir)).toEqual([]);
    this.mounted.set(dir, sizeBytes);
  }
  async unmount(dir: string): Promise<void> {
    this.calls.push(`umount ${path.basename(dir)}`);
    this.mounted.delete(dir);
  }
  async mountsUnder(dir: string): Promise<string[]> {
    return [...this.mounted.keys()].filter((m) => m.startsWith(`${dir}/`));
  }
}

describe('ConfigVolumes with a mounter: secret volumes on tmpfs', () => {
  let root: string;
  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'orchard-config-tmpfs-'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  const both = podWith([
    { name: 'config', configMap: { name: 'cfg', items: [] } },
    { name: 'creds', secret: { secretName: 'sec', items: [] } },
  ]);
  const config = configWith({ 'a.conf': 'one' }, { token: 'T' });

  it('mounts a tmpfs for each secret volume before writing it, none for configMap volumes', async () => {
    const mounter = new FakeMounter();
    const out = await new ConfigVolumes(root, mounter).project(both, config);
    expect(out.get('creds')!.error).toBeUndefined();
    expect(mounter.calls).toEqual(['mount creds']);
    expect([...mounter.mounted]).toEqual([[out.get('creds')!.dir, SECRET_TMPFS_BYTES]]);
    expect(await fs.readFile(path.join(out.get('creds')!.dir, 'token'), 'utf8')).toBe('T');
  });

  it('unmounts the tmpfs before removing the pod', async () => {
    const mounter = new FakeMounter();
    const volumes = new ConfigVolumes(root, mounter);
    await volumes.project(both, config);
    await volumes.removePod('uid-1');
    expect(mounter.calls).toEqual(['mount creds', 'umount creds']);
    expect(mounter.mounted.size).toBe(0);
    await expect(fs.stat(path.join(root, 'uid-1'))).rejects.toThrow();
  });

  const restarts: Array<{ name: string; stillMounted: boolean; calls: string[] }> = [
    { name: 'an agent restart keeps a still-mounted tmpfs and its files', stillMounted: true, calls: ['mount creds'] },
    { name: 'after a reboot (tmpfs gone) the volume is mounted and written anew', stillMounted: false, calls: ['mount creds', 'mount creds'] },
  ];
  for (const c of restarts) {
    it(c.name, async () => {
      const mounter = new FakeMounter();
      const dir = (await new ConfigVolumes(root, mounter).project(both, config)).get('creds')!.dir;
      const gen = await fs.readlink(path.join(dir, '..data'));
      if (!c.stillMounted) {
        // The reboot took the memory; the directory on disk is left empty.
        mounter.mounted.clear();
        for (const e of await fs.readdir(dir)) await fs.rm(path.join(dir, e), { recursive: true });
      }
      const out = await new ConfigVolumes(root, mounter).project(both, config);
      expect(out.get('creds')!.error).toBeUndefined();
      expect(mounter.calls).toEqual(c.calls);
      expect(mounter.mounted.has(dir)).toBe(true);
      expect(await fs.readFile(path.join(dir, 'token'), 'utf8')).toBe('T');
      if (c.stillMounted) expect(await fs.readlink(path.join(dir, '..data'))).toBe(gen);
    });
  }

  it('clears plaintext an older agent left on the disk before mounting over it', async () => {
    const dir = (await new ConfigVolumes(root).project(both, config)).get('creds')!.dir;
    expect(await fs.readdir(dir)).not.toEqual([]);
    const mounter = new FakeMounter();
    await new ConfigVolumes(root, mounter).project(both, config);
    expect(mounter.calls).toEqual(['mount creds']);
  });

  it('refuses the secret volume, writing nothing, when no tmpfs can be mounted', async () => {
    const mounter = new FakeMounter();
    mounter.failWith = new Error('mount: only root can do that');
    const out = await new ConfigVolumes(root, mounter).project(both, config);
    const creds = out.get('creds')!;
    expect(creds.error).toMatch(/^MountVolume\.SetUp failed for volume "creds": cannot mount a tmpfs at .*creds \(the agent must run as root\): mount: only root can do that$/);
    expect(await fs.readdir(creds.dir)).toEqual([]);
    // The configMap volume is unaffected.
    expect(out.get('config')!.error).toBeUndefined();
  });
});

describe('parseMountInfo', () => {
  it('reads mount points (octal escapes) and types', () => {
    const text = [
      '22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/root rw',
      '88 22 0:51 / /var/lib/orchard-agent/pods/u1/volumes/my\\040creds rw,nosuid,nodev,noexec,relatime - tmpfs orchard-secret rw,size=4096k,mode=755',
      '',
    ].join('\n');
    expect(parseMountInfo(text)).toEqual([
      { mountPoint: '/', fsType: 'ext4' },
      { mountPoint: '/var/lib/orchard-agent/pods/u1/volumes/my creds', fsType: 'tmpfs' },
    ]);
  });
});
