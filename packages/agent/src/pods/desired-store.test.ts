import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pod } from '@orchard/api';
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
    expect(loaded!.map((p) => p.metadata!.name)).toEqual(['a', 'b']);
    expect(loaded![0]!.status).toBeUndefined();
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
    expect((await new DesiredPodsStore(dir).load())!.length).toBe(5);
  });

  it('reports a corrupt copy as an error naming the file', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'desired-pods.pb'), Buffer.from([0xff, 0xff, 0xff, 0xff]));
    await expect(new DesiredPodsStore(dir).load()).rejects.toThrow(/failed to decode .*desired-pods\.pb/);
  });
});
