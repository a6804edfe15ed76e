/**
 * What the control-plane benchmarks share: a run folder outside the e2e bed's (so an e2e
 * run never stops these processes as leftovers), etcd and masters on loopback, a gRPC
 * cluster client, figures and the results file.
 */
import { execSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Metadata, type ChannelCredentials } from '@grpc/grpc-js';
import { ApplyResponse, ClusterServiceClient, ListMastersResponse, type ApiObject } from '@orchard/api';
import { startEtcd, type EtcdCluster } from '../test/bed/etcd';
import { canConnect, freePort } from '../test/bed/ports';
import { distMain, logTail, startProcess, type ManagedProcess } from '../test/bed/processes';
import { waitFor } from '../test/bed/wait';

/** Benchmarks' own folder (logs, etcd data), apart from the e2e bed's runs. */
export const BENCH_ROOT = '/tmp/orchard-bench';

export function say(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

export async function runDir(name: string): Promise<string> {
  const dir = path.join(BENCH_ROOT, `${name}-${Date.now()}`);
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * `x86_64, 2 cores, HOSTNAME, load 1.2` for the results table: the 1-minute load average
 * says whether other work shared the cores during the run.
 */
export function machine(): string {
  return `${execSync('uname -m').toString().trim()}, ${os.cpus().length} cores, ${os.hostname()}, load ${os.loadavg()[0]!.toFixed(1)}`;
}

export function utcNow(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * Appends a result line under its section of bench/RESULTS.md; the section (heading and
 * table header) is added the first time.
 */
export async function appendResult(heading: string, tableHeader: string, line: string): Promise<string> {
  const file = path.join(__dirname, 'RESULTS.md');
  let text = await fs.readFile(file, 'utf8').catch(() => '# Benchmark results\n\nAppended by the benchmarks in this folder; one line per run.\n');
  const title = `## ${heading}`;
  const start = text.indexOf(title);
  if (start < 0) {
    text = `${text.trimEnd()}\n\n${title}\n\n${tableHeader}\n${line}\n`;
  } else {
    // After the section's last table line.
    const next = text.indexOf('\n## ', start + title.length);
    const end = next < 0 ? text.length : next;
    const section = text.slice(start, end).trimEnd();
    text = `${text.slice(0, start)}${section}\n${line}\n${next < 0 ? '' : '\n' + text.slice(next + 1)}`;
  }
  await fs.writeFile(file, text);
  return file;
}

export interface MasterProc {
  name: string;
  address: string;
  proc: ManagedProcess;
}

/** Starts orchard-master on a loopback port of the bed's range; resolves once it listens. */
export async function startLoopbackMaster(
  dir: string,
  name: string,
  etcd: EtcdCluster,
  opts: { args?: string[]; address?: string; nodeArgs?: string[] } = {},
): Promise<MasterProc> {
  const addr = opts.address ?? `127.0.0.1:${await freePort()}`;
  const dataDir = path.join(dir, `master-${name}`);
  await fs.mkdir(dataDir, { recursive: true });
  const args = [
    ...(opts.nodeArgs ?? []),
    distMain('master'),
    '--etcd', etcd.members.map((m) => m.clientUrl).join(','),
    '--listen', addr,
    '--name', name,
    '--data-dir', dataDir,
    // Benchmark traffic stays on this machine: no registry lookups for image platforms.
    '--registry-platform-lookup', 'false',
    ...(opts.args ?? []),
  ];
  const proc = startProcess(`master ${name}`, process.execPath, args, { logFile: path.join(dir, `master-${name}.log`) });
  const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
  await waitFor(`master ${name} to listen on ${addr}`, async () => {
    if (proc.exit) throw new Error(`master ${name} exited:\n${logTail(proc, 30)}`);
    return canConnect('127.0.0.1', port);
  }, { timeoutMs: 30_000 });
  return { name, address: addr, proc };
}

export { startEtcd };

/** The cluster API of one master, as promises. */
export class Api {
  readonly client: ClusterServiceClient;

  constructor(
    readonly address: string,
    creds: ChannelCredentials,
  ) {
    this.client = new ClusterServiceClient(address, creds);
  }

  apply(objects: ApiObject[], timeoutMs = 30_000): Promise<ApplyResponse> {
    return new Promise((resolve, reject) =>
      this.client.apply({ objects, dryRun: false }, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, r) => (err ? reject(err) : resolve(r!))),
    );
  }

  listMasters(timeoutMs = 2_000): Promise<ListMastersResponse> {
    return new Promise((resolve, reject) =>
      this.client.listMasters({}, new Metadata(), { deadline: Date.now() + timeoutMs }, (err, r) => (err ? reject(err) : resolve(r!))),
    );
  }

  close(): void {
    this.client.close();
  }
}
