import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from './exec';
import { BRIDGE_ADDRESS } from './layout';
import { canConnect, freePort } from './ports';
import { logTail, startProcess, stopProcess, type ManagedProcess } from './processes';
import { waitFor } from './wait';

/** A Docker registry (Debian's docker-registry) with htpasswd auth, for one test file. */
export interface LocalRegistry {
  /** HOST:PORT on the bed's bridge: the simulated nodes reach it, and their engines trust it as plain HTTP. */
  address: string;
  proc: ManagedProcess;
  /** Stops it by its pid (call before the cluster's teardown, which kills whatever is left). */
  stop(): Promise<unknown>;
}

/**
 * Starts a registry on the host's LAN address (the bed's bridge) with one user, storing its
 * data and log under dir; resolves once it listens.
 */
export async function startLocalRegistry(dir: string, user: string, password: string): Promise<LocalRegistry> {
  const home = path.join(dir, 'registry');
  mkdirSync(path.join(home, 'data'), { recursive: true });
  writeFileSync(path.join(home, 'htpasswd'), await run('htpasswd', ['-Bbn', user, password]));
  const port = await freePort();
  const address = `${BRIDGE_ADDRESS}:${port}`;
  writeFileSync(
    path.join(home, 'config.yml'),
    `version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: ${path.join(home, 'data')}
http:
  addr: ${address}
auth:
  htpasswd:
    realm: orchard-test
    path: ${path.join(home, 'htpasswd')}
`,
  );
  const proc = startProcess('docker-registry', 'docker-registry', ['serve', path.join(home, 'config.yml')], { logFile: path.join(dir, 'registry.log') });
  try {
    await waitFor(`docker-registry to listen on ${address}`, async () => {
      if (proc.exit) throw new Error(`docker-registry exited: ${logTail(proc, 20)}`);
      return canConnect(BRIDGE_ADDRESS, port);
    }, { timeoutMs: 15_000 });
  } catch (err) {
    await stopProcess(proc, 'SIGTERM', 5_000);
    throw err;
  }
  return { address, proc, stop: () => stopProcess(proc, 'SIGTERM', 5_000) };
}
