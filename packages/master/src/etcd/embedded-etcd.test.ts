import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '@orchard/api';
import { createEtcdClient } from './client';
import { EmbeddedEtcd } from './embedded-etcd';
import { freePortPair } from '../testing/etcd-fixture';

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
  let port = 0;
  const make = () => {
    const e = new EmbeddedEtcd({ dataDir: dir, name: 'm1', clientPort: port, peerPort: port + 1, log });
    started.push(e);
    return e;
  };
  afterAll(async () => {
    for (const e of started) await e.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves, keeps data across restarts, stops cleanly, and replaces a child left behind', async () => {
    port = await freePortPair(22160);
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

  it('does not outlive a master killed with SIGKILL', async () => {
    const runDir = mkdtempSync(path.join(os.tmpdir(), 'orchard-embedded-etcd-kill-'));
    const script = path.join(runDir, 'master.ts');
    const killPort = await freePortPair(22180);
    writeFileSync(
      script,
      `const { EmbeddedEtcd } = require(${JSON.stringify(path.join(__dirname, 'embedded-etcd.ts'))});
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const e = new EmbeddedEtcd({ dataDir: ${JSON.stringify(path.join(runDir, 'etcd'))}, name: 'k', clientPort: ${killPort}, peerPort: ${killPort + 1}, log: quiet });
e.start().then(() => console.log('PID ' + e.pid), (err) => { console.log('FAILED ' + err.message); process.exit(1); });
setInterval(() => {}, 1000);
`,
    );
    const master = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let out = '';
      const etcdPid = await new Promise<number>((resolve, reject) => {
        // Bounded, so that the finally below always runs and kills the child.
        const timer = setTimeout(() => reject(new Error(`no etcd within 40 s: ${out}`)), 40_000);
        master.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /PID (\d+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        });
        master.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`master exited early (${code}): ${out}`));
        });
      });
      expect(alive(etcdPid)).toBe(true);
      master.kill('SIGKILL');
      const t0 = Date.now();
      while (alive(etcdPid) && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
      expect(alive(etcdPid)).toBe(false);
    } finally {
      if (master.exitCode === null && master.signalCode === null) master.kill('SIGKILL');
      rmSync(runDir, { recursive: true, force: true });
    }
  }, 60_000);
});
