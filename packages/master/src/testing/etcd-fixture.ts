import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
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

/** The loopback port range of this package's tests (etcd fixtures and the like). */
const PORT_RANGE = { first: 22000, last: 22999 };

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * Two free adjacent loopback ports in the test range, `preferred` first: each test file
 * prefers its own pair, and moves on when another run of the suite holds it.
 */
export async function freePortPair(preferred: number): Promise<number> {
  const size = PORT_RANGE.last - PORT_RANGE.first;
  for (let i = 0; i < size; i += 2) {
    const port = PORT_RANGE.first + ((preferred - PORT_RANGE.first + i) % size);
    if ((await portFree(port)) && (await portFree(port + 1))) return port;
  }
  throw new Error(`no two free ports left in ${PORT_RANGE.first}-${PORT_RANGE.last}`);
}

/**
 * Starts etcd on a free client/peer port pair, `preferredPort` / `preferredPort + 1` when
 * free (tests use 22000-22999, one pair per file so that files can run in parallel).
 */
export async function startEtcdFixture(preferredPort: number): Promise<EtcdFixture> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orchard-etcd-test-'));
  let etcd: EmbeddedEtcd | undefined;
  // A port found free can be taken before etcd binds it (another suite running): try again.
  for (let attempt = 0; !etcd; attempt++) {
    const clientPort = await freePortPair(preferredPort + attempt * 2);
    const candidate = new EmbeddedEtcd({
      dataDir: dir,
      name: 'test',
      clientPort,
      peerPort: clientPort + 1,
      log: createLogger('etcd-fixture', 'warn'),
      startTimeoutMs: 10_000,
    });
    try {
      await candidate.start();
      etcd = candidate;
    } catch (err) {
      await candidate.stop();
      rmSync(path.join(dir, 'data'), { recursive: true, force: true });
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const started = etcd;
  const clients: Etcd3[] = [];
  return {
    url: started.clientUrl,
    etcd: started,
    client(callTimeoutMs?: number) {
      const c = createEtcdClient([started.clientUrl], callTimeoutMs);
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.close();
      await started.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
