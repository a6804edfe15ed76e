import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '@orchard/api';
import { createEtcdClient } from './client';
import { EmbeddedEtcd } from './embedded-etcd';

const log = createLogger('embedded-etcd-test', 'silent');

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('EmbeddedEtcd', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orchard-embedded-etcd-'));
  const started: EmbeddedEtcd[] = [];
  const make = () => {
    const e = new EmbeddedEtcd({ dataDir: dir, name: 'm1', clientPort: 22160, peerPort: 22161, log });
    started.push(e);
    return e;
  };
  afterAll(async () => {
    for (const e of started) await e.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves, keeps data across restarts, stops cleanly, and replaces a child left behind', async () => {
    const first = make();
    await first.start();
    const client = createEtcdClient([first.clientUrl]);
    await client.put('/orchard/test').value('kept');
    client.close();
    const stalePid = first.pid;

    // A master that died without stopping its etcd left `first` running: the next start
    // finds it by its pid file and stops it instead of failing on the busy ports.
    const second = make();
    await second.start();
    expect(alive(stalePid)).toBe(false);
    const again = createEtcdClient([second.clientUrl]);
    expect(await again.get('/orchard/test').string()).toBe('kept');
    again.close();

    const pid = second.pid;
    await second.stop();
    expect(alive(pid)).toBe(false);
  }, 30_000);
});
