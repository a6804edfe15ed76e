import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@orchard/api';
import type { Etcd3 } from 'etcd3';
import { createEtcdClient } from '../etcd/client';
import { EmbeddedEtcd } from '../etcd/embedded-etcd';

/** A throw-away etcd for tests: its own temp dir and ports, stopped by pid in `stop`. */
export interface EtcdFixture {
  readonly url: string;
  readonly etcd: EmbeddedEtcd;
  /** A client; `stop` closes every client made with `client()`. */
  client(callTimeoutMs?: number): Etcd3;
  stop(): Promise<void>;
}

/**
 * Starts etcd on `clientPort` / `clientPort + 1` (tests use 22000-22999, one pair per file
 * so that files can run in parallel).
 */
export async function startEtcdFixture(clientPort: number): Promise<EtcdFixture> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orchard-etcd-test-'));
  const etcd = new EmbeddedEtcd({
    dataDir: dir,
    name: `test${clientPort}`,
    clientPort,
    peerPort: clientPort + 1,
    log: createLogger('etcd-fixture', 'warn'),
  });
  await etcd.start();
  const clients: Etcd3[] = [];
  return {
    url: etcd.clientUrl,
    etcd,
    client(callTimeoutMs?: number) {
      const c = createEtcdClient([etcd.clientUrl], callTimeoutMs);
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.close();
      await etcd.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
