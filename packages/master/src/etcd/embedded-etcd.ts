import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Logger } from '@orchard/api';

/** How to run the etcd child process of a one-box cluster. */
export interface EmbeddedEtcdOptions {
  /** Folder for etcd's data (the master passes <data-dir>/etcd). */
  readonly dataDir: string;
  /** Member name; also the name in --initial-cluster. */
  readonly name: string;
  readonly clientPort: number;
  readonly peerPort: number;
  /** Loopback by default: the embedded etcd serves this master only. */
  readonly host?: string;
  /** The etcd binary (Debian's etcd-server installs /usr/bin/etcd). */
  readonly binary?: string;
  readonly startTimeoutMs?: number;
  readonly log: Logger;
}

const PID_FILE = 'orchard-etcd.pid';

/**
 * The etcd child process the master starts when no --etcd is given. It is stopped with
 * the master (SIGTERM, then wait); an exit of the master for any other reason kills it,
 * and a child left over by a master that was SIGKILLed is found by its pid file and
 * stopped at the next start, so no stale etcd ever holds the ports.
 */
export class EmbeddedEtcd {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly stderrTail: string[] = [];
  private readonly killOnExit = () => this.child?.kill('SIGKILL');

  constructor(private readonly opts: EmbeddedEtcdOptions) {}

  /** The client URL the master's etcd client uses. */
  get clientUrl(): string {
    return `http://${this.opts.host ?? '127.0.0.1'}:${this.opts.clientPort}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts etcd and resolves once it reports itself healthy. */
  async start(): Promise<void> {
    const { dataDir, name, log } = this.opts;
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    await this.stopStaleChild();
    const host = this.opts.host ?? '127.0.0.1';
    const peerUrl = `http://${host}:${this.opts.peerPort}`;
    const args = [
      '--name', name,
      '--data-dir', path.join(dataDir, 'data'),
      '--listen-client-urls', this.clientUrl,
      '--advertise-client-urls', this.clientUrl,
      '--listen-peer-urls', peerUrl,
      '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `${name}=${peerUrl}`,
      '--initial-cluster-state', 'new',
      // Old revisions are only needed by watchers that fell behind; they relist.
      '--auto-compaction-mode', 'periodic',
      '--auto-compaction-retention', '1h',
      '--log-level', 'warn',
      // An apply writes all its objects in one transaction; etcd's default allows 128 ops.
      '--max-txn-ops', '2048',
    ];
    const [cmd, cmdArgs] = withParentDeathSignal(this.opts.binary ?? 'etcd', args);
    const child = spawn(cmd, cmdArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) {
        if (!line.trim()) continue;
        this.stderrTail.push(line);
        if (this.stderrTail.length > 20) this.stderrTail.shift();
        log.debug({ etcd: line }, 'etcd output');
      }
    });
    let spawnError: Error | undefined;
    child.once('error', (err) => (spawnError = err));
    child.once('exit', (code, signal) => {
      process.removeListener('exit', this.killOnExit);
      if (this.child === child) this.child = undefined;
      log.info({ code, signal }, 'embedded etcd exited');
    });
    process.on('exit', this.killOnExit);
    if (child.pid !== undefined) writeFileSync(path.join(dataDir, PID_FILE), `${child.pid}\n`);

    const deadline = Date.now() + (this.opts.startTimeoutMs ?? 20_000);
    while (Date.now() < deadline) {
      if (spawnError) throw new Error(`failed to start etcd (${this.opts.binary ?? 'etcd'}): ${spawnError.message}`, { cause: spawnError });
      if (!this.child) throw new Error(`etcd exited during start-up: ${this.stderrTail.join('\n')}`);
      if (await healthy(this.clientUrl)) {
        log.info({ url: this.clientUrl, pid: child.pid, dataDir }, 'embedded etcd is ready');
        return;
      }
      await sleep(100);
    }
    await this.stop();
    throw new Error(`etcd did not become healthy within ${this.opts.startTimeoutMs ?? 20_000} ms: ${this.stderrTail.join('\n')}`);
  }

  /** Stops etcd: SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
    rmSync(path.join(this.opts.dataDir, PID_FILE), { force: true });
  }

  /** Kills an etcd left behind by a master that could not stop it (SIGKILL, power loss is harmless). */
  private async stopStaleChild(): Promise<void> {
    const file = path.join(this.opts.dataDir, PID_FILE);
    let pid: number;
    try {
      pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    } catch {
      return;
    }
    // Only a process that is etcd running on this data dir is ours; a reused pid is not.
    if (Number.isInteger(pid) && isOurEtcd(pid, this.opts.dataDir)) {
      this.opts.log.warn({ pid }, 'stopping an etcd left behind by an earlier master');
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    rmSync(file, { force: true });
  }
}

/**
 * Runs etcd through util-linux `setpriv --pdeathsig TERM` when it is installed: the kernel
 * then stops etcd even when the master dies by SIGKILL, which no exit handler sees.
 */
function withParentDeathSignal(binary: string, args: string[]): [string, string[]] {
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  return setpriv ? [setpriv, ['--pdeathsig', 'TERM', '--', binary, ...args]] : [binary, args];
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function isOurEtcd(pid: number, dataDir: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return path.basename(cmdline[0] ?? '') === 'etcd' && cmdline.includes(path.join(dataDir, 'data'));
  } catch {
    return false;
  }
}

function healthy(clientUrl: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${clientUrl}/health`, { timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"health":"true"')));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
