import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigMap, Pod, Secret } from '@orchard/api';
import { DesiredPodsStore } from './desired-store';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'orchard-desired-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const pod = (name: string, uid: string, rv = '1', phase = 'Pending') =>
  Pod.fromPartial({
    metadata: { name, namespace: 'default', uid, resourceVersion: rv },
    spec: { containers: [{ name: 'app', image: 'busybox:1' }] },
    status: { phase },
  });

describe('DesiredPodsStore', () => {
  it('has nothing to load before the first save', async () => {
    expect(await new DesiredPodsStore(tempDir()).load()).toBeUndefined();
  });

  it('round-trips the set without statuses, through a fresh store', async () => {
    const dir = path.join(tempDir(), 'nested');
    await new DesiredPodsStore(dir).save([pod('a', 'u1'), pod('b', 'u2')], '42');
    const loaded = await new DesiredPodsStore(dir).load();
    expect(loaded!.pods.map((p) => p.metadata!.name)).toEqual(['a', 'b']);
    expect(loaded!.pods[0]!.status).toBeUndefined();
    expect(loaded!.revision).toBe('42');
    expect(readdirSync(dir)).toEqual(['desired-pods.pb']);
    expect(statSync(path.join(dir, 'desired-pods.pb')).mode & 0o777).toBe(0o600);
  });

  it('writes only when the set changes', async () => {
    const dir = tempDir();
    const store = new DesiredPodsStore(dir);
    expect(await store.save([pod('a', 'u1'), pod('b', 'u2')])).toBe(true);
    // Same pods in another order, with new resourceVersions and statuses: no write.
    expect(await store.save([pod('b', 'u2', '7', 'Running'), pod('a', 'u1', '9', 'Running')])).toBe(false);
    expect(await store.save([pod('a', 'u1')])).toBe(true);

    // A restarted agent does not write the same set again, loaded or not.
    const again = new DesiredPodsStore(dir);
    await again.load();
    expect(await again.save([pod('a', 'u1', '12')])).toBe(false);
    expect(await new DesiredPodsStore(dir).save([pod('a', 'u1', '13')])).toBe(false);
  });

  it('serializes a burst of saves and writes only the first and the last set', async () => {
    const dir = tempDir();
    const store = new DesiredPodsStore(dir);
    const sets = [1, 2, 3, 4, 5].map((n) => Array.from({ length: n }, (_, i) => pod(`p${i}`, `u${i}`)));
    const results = await Promise.all(sets.map((set) => store.save(set)));
    expect(results).toEqual([true, false, false, false, true]);
    expect((await new DesiredPodsStore(dir).load())!.pods.length).toBe(5);
  });

  it('reports a corrupt copy as an error naming the file', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'desired-pods.pb'), Buffer.from([0xff, 0xff, 0xff, 0xff]));
    await expect(new DesiredPodsStore(dir).load()).rejects.toThrow(/failed to decode .*desired-pods\.pb/);
  });

  describe('with ConfigMaps and Secrets', () => {
    const cm = (value: string, rv = '1') =>
      ConfigMap.fromPartial({ metadata: { name: 'app-config', namespace: 'default', resourceVersion: rv, uid: 'c1' }, data: { MODE: value }, binaryData: { blob: Buffer.from([0, 1]) } });
    const secret = (value: string, rv = '1') =>
      Secret.fromPartial({ metadata: { name: 'db', namespace: 'default', resourceVersion: rv }, type: 'Opaque', data: { password: Buffer.from(value) } });

    it('round-trips them, the Secrets never in plaintext in the file, which is 0600', async () => {
      const dir = tempDir();
      await new DesiredPodsStore(dir).save([pod('a', 'u1')], '7', { configMaps: [cm('fast')], secrets: [secret('s3cret-value')] });
      const file = path.join(dir, 'desired-pods.pb');
      const raw = readFileSync(file);
      expect(raw.includes(Buffer.from('s3cret-value'))).toBe(false);
      expect(raw.includes(Buffer.from('fast'))).toBe(true);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(path.join(dir, 'pki', 'local-copy.key')).mode & 0o777).toBe(0o600);

      const loaded = (await new DesiredPodsStore(dir).load())!;
      expect(loaded.secretsError).toBeUndefined();
      expect(loaded.configMaps.map((c) => [c.metadata!.name, c.data, Buffer.from(c.binaryData.blob!)])).toEqual([['app-config', { MODE: 'fast' }, Buffer.from([0, 1])]]);
      expect(loaded.secrets.map((x) => [x.metadata!.namespace, x.metadata!.name, x.type, Buffer.from(x.data.password!).toString()])).toEqual([
        ['default', 'db', 'Opaque', 's3cret-value'],
      ]);
    });

    const cases: Array<{ name: string; next: { configMaps: ConfigMap[]; secrets: Secret[] }; writes: boolean }> = [
      { name: 'the same objects at new resourceVersions', next: { configMaps: [cm('fast', '9')], secrets: [secret('pw', '9')] }, writes: false },
      { name: 'a changed ConfigMap value', next: { configMaps: [cm('slow')], secrets: [secret('pw')] }, writes: true },
      { name: 'a changed Secret value', next: { configMaps: [cm('fast')], secrets: [secret('pw2')] }, writes: true },
      { name: 'a Secret no longer referenced', next: { configMaps: [cm('fast')], secrets: [] }, writes: true },
    ];
    for (const c of cases) {
      it(`${c.writes ? 'writes' : 'does not write'} for ${c.name}, even after a restart`, async () => {
        const dir = tempDir();
        expect(await new DesiredPodsStore(dir).save([pod('a', 'u1')], '1', { configMaps: [cm('fast')], secrets: [secret('pw')] })).toBe(true);
        const before = statSync(path.join(dir, 'desired-pods.pb')).mtimeMs;
        expect(await new DesiredPodsStore(dir).save([pod('a', 'u1', '2')], '2', c.next)).toBe(c.writes);
        if (!c.writes) expect(statSync(path.join(dir, 'desired-pods.pb')).mtimeMs).toBe(before);
      });
    }

    it('loads pods and ConfigMaps when the key is gone, names the problem, and writes the Secrets again on the next save', async () => {
      const dir = tempDir();
      const config = { configMaps: [cm('fast')], secrets: [secret('pw')] };
      await new DesiredPodsStore(dir).save([pod('a', 'u1')], '1', config);
      rmSync(path.join(dir, 'pki', 'local-copy.key'));
      const store = new DesiredPodsStore(dir);
      const loaded = (await store.load())!;
      expect(loaded.pods.map((p) => p.metadata!.name)).toEqual(['a']);
      expect(loaded.configMaps).toHaveLength(1);
      expect(loaded.secrets).toEqual([]);
      expect(loaded.secretsError).toMatch(/local-copy\.key is missing/);
      expect(await store.save([pod('a', 'u1')], '1', config)).toBe(true);
      expect((await new DesiredPodsStore(dir).load())!.secrets).toHaveLength(1);
    });

    it('refuses Secrets sealed under another key', async () => {
      const dir = tempDir();
      await new DesiredPodsStore(dir).save([pod('a', 'u1')], '1', { configMaps: [], secrets: [secret('pw')] });
      writeFileSync(path.join(dir, 'pki', 'local-copy.key'), Buffer.alloc(32, 7));
      const loaded = (await new DesiredPodsStore(dir).load())!;
      expect(loaded.secrets).toEqual([]);
      expect(loaded.secretsError).toMatch(/do not open/);
    });
  });
});
