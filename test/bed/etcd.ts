import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { exec, type ExecResult } from './exec';
import { freePort } from './ports';
import { logTail, startProcess, stopProcess, type ManagedProcess } from './processes';
import { waitFor } from './wait';

/** One etcd member on loopback ports. */
export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  logFile: string;
  /** The running process; undefined while the member is stopped. */
  proc?: ManagedProcess;
}

/** A single etcd or a 3-member cluster started by the bed. */
export interface EtcdCluster {
  members: EtcdMember[];
  /** --initial-cluster value: name=peerUrl,... */
  initialCluster: string;
  token: string;
}

/** Every member's client URL, for --etcd and --endpoints. */
export function endpoints(c: EtcdCluster): string[] {
  return c.members.map((m) => m.clientUrl);
}

/** etcd 3.4 refuses to start on arm64/arm unless told the platform is deliberate. */
function etcdEnv(): NodeJS.ProcessEnv {
  const goArch: Record<string, string> = { arm64: 'arm64', arm: 'arm' };
  const arch = goArch[process.arch];
  return arch ? { ...process.env, ETCD_UNSUPPORTED_ARCH: arch } : process.env;
}

/** Starts (or restarts, keeping its data) one member; resolves once it is running. */
export function startMember(c: EtcdCluster, m: EtcdMember): ManagedProcess {
  if (m.proc && !m.proc.exit) throw new Error(`etcd ${m.name} is already running (pid ${m.proc.pid})`);
  mkdirSync(m.dataDir, { recursive: true, mode: 0o700 });
  const args = [
    '--name', m.name,
    '--data-dir', m.dataDir,
    '--listen-client-urls', m.clientUrl,
    '--advertise-client-urls', m.clientUrl,
    '--listen-peer-urls', m.peerUrl,
    '--initial-advertise-peer-urls', m.peerUrl,
    '--initial-cluster', c.initialCluster,
    // Ignored once the data folder holds a member: a restart rejoins with its old identity.
    '--initial-cluster-state', 'new',
    '--initial-cluster-token', c.token,
    '--logger', 'zap',
    '--log-level', 'warn',
  ];
  m.proc = startProcess(`etcd ${m.name}`, 'etcd', args, { logFile: m.logFile, env: etcdEnv() });
  return m.proc;
}

/** Resolves once the member answers /health with true (it has a leader). */
export async function waitMemberHealthy(m: EtcdMember, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `etcd ${m.name} to be healthy at ${m.clientUrl}`,
    async () => {
      if (m.proc?.exit) throw new Error(`etcd ${m.name} exited (${JSON.stringify(m.proc.exit)}):\n${logTail(m.proc, 20)}`);
      const r = await fetch(`${m.clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
      const body = (await r.json()) as { health?: string };
      return body.health === 'true';
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/**
 * Starts a fresh etcd of `size` members (1 or 3) on free loopback ports, with data and logs
 * under dir; resolves once every member is healthy.
 */
export async function startEtcd(dir: string, size: 1 | 3 = 1): Promise<EtcdCluster> {
  const members: EtcdMember[] = [];
  for (let i = 1; i <= size; i++) {
    const name = `e${i}`;
    members.push({
      name,
      clientUrl: `http://127.0.0.1:${await freePort()}`,
      peerUrl: `http://127.0.0.1:${await freePort()}`,
      dataDir: path.join(dir, `etcd-${name}`),
      logFile: path.join(dir, `etcd-${name}.log`),
    });
  }
  const c: EtcdCluster = {
    members,
    initialCluster: members.map((m) => `${m.name}=${m.peerUrl}`).join(','),
    token: `orchard-bed-${process.pid}-${Date.now()}`,
  };
  try {
    for (const m of members) startMember(c, m);
    await Promise.all(members.map((m) => waitMemberHealthy(m)));
  } catch (e) {
    await stopEtcd(c);
    throw new Error(`failed to start etcd: ${(e as Error).message}`, { cause: e });
  }
  return c;
}

/** Stops one member by pid (SIGTERM, or SIGKILL to simulate a crash). */
export async function stopMember(m: EtcdMember, sig: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (m.proc) await stopProcess(m.proc, sig);
}

/** Restarts a stopped member with its data; resolves once it answers healthy. */
export async function restartMember(c: EtcdCluster, m: EtcdMember): Promise<void> {
  startMember(c, m);
  await waitMemberHealthy(m);
}

/**
 * Stops every member: SIGTERM, then SIGKILL after graceMs. Members stopping together wait
 * for each other for seconds; the data is thrown away, so a short grace is enough.
 */
export async function stopEtcd(c: EtcdCluster, graceMs = 1500): Promise<void> {
  await Promise.all(c.members.map((m) => (m.proc ? stopProcess(m.proc, 'SIGTERM', graceMs) : undefined)));
}

/** Runs etcdctl (API v3) against the running members. */
export function etcdctl(c: EtcdCluster, args: readonly string[]): Promise<ExecResult> {
  const live = c.members.filter((m) => m.proc && !m.proc.exit).map((m) => m.clientUrl);
  return exec('etcdctl', ['--endpoints', (live.length ? live : endpoints(c)).join(','), '--command-timeout=5s', ...args], {
    env: { ...process.env, ETCDCTL_API: '3' },
    timeoutMs: 20_000,
  });
}

/** The store's current revision: moves on every write, so "nothing changed" means it did not. */
export async function etcdRevision(c: EtcdCluster): Promise<number> {
  const r = await etcdctl(c, ['get', '/orchard/', '--prefix', '--keys-only', '--limit=1', '-w', 'json']);
  if (r.code !== 0) throw new Error(`etcdctl get failed: ${r.stderr}`);
  return Number((JSON.parse(r.stdout) as { header: { revision: number | string } }).header.revision);
}

/** Keys under a prefix (e.g. /orchard/registry/), sorted. */
export async function etcdKeys(c: EtcdCluster, prefix: string): Promise<string[]> {
  const r = await etcdctl(c, ['get', prefix, '--prefix', '--keys-only']);
  if (r.code !== 0) throw new Error(`etcdctl get failed: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).sort();
}
