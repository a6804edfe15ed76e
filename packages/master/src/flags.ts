import os from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { VERSION } from './version';

/** The settings of one orchard-master process, from its command line. */
export interface MasterFlags {
  /** External etcd client URLs; empty = start an embedded etcd. */
  readonly etcd: readonly string[];
  readonly dataDir: string;
  /** host:port the gRPC server listens on. */
  readonly listen: string;
  readonly name: string;
  /** The address agents and clients reach this master at (shown by `get masters`). */
  readonly advertiseAddress: string;
  readonly etcdClientPort: number;
  readonly etcdPeerPort: number;
  /** How long a node may stay silent before it is NotReady (ms). */
  readonly nodeGracePeriodMs: number;
  /** Lease TTL of the leader key (seconds). */
  readonly leaderLeaseTtlSeconds: number;
  readonly logLevel: string;
}

/** Parses "4s", "500ms", "1m" or a bare number of seconds into milliseconds. */
export function parseDuration(value: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`invalid duration "${value}" (examples: 4s, 500ms, 1m)`);
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
  if (ms <= 0) throw new InvalidArgumentError(`duration must be positive, got "${value}"`);
  return ms;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError(`invalid port "${value}"`);
  return n;
}

function parseListen(value: string): string {
  const m = /^(.*):([0-9]+)$/.exec(value);
  if (!m || !m[1]) throw new InvalidArgumentError(`expected ADDR:PORT, got "${value}"`);
  parsePort(m[2]!);
  return value;
}

function parseLevel(value: string): string {
  const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
  if (!levels.includes(value)) throw new InvalidArgumentError(`expected one of ${levels.join(', ')}`);
  return value;
}

/** The command-line definition of orchard-master. */
export function masterCommand(): Command {
  return new Command('orchard-master')
    .description('Orchard control plane: the cluster API, node streams, scheduler and controllers, on etcd')
    .version(VERSION)
    .option('--etcd <urls>', 'etcd client URLs, comma-separated; without it an embedded etcd is started')
    .option('--data-dir <dir>', 'state folder (the embedded etcd keeps its data in <dir>/etcd)', '/var/lib/orchard')
    .option('--listen <addr:port>', 'gRPC listen address for the cluster API and node streams', parseListen, '0.0.0.0:7443')
    .option('--name <name>', 'name of this master', os.hostname())
    .option('--advertise-address <addr:port>', 'address agents and clients use to reach this master (default: --listen, with a wildcard host replaced by the hostname)')
    .option('--etcd-client-port <port>', 'client port of the embedded etcd (loopback)', parsePort, 2379)
    .option('--etcd-peer-port <port>', 'peer port of the embedded etcd (loopback)', parsePort, 2380)
    .option('--node-grace-period <duration>', 'how long a node may stay silent before it is marked NotReady', '4s')
    .option('--leader-lease-ttl <seconds>', 'lease TTL of the leader key: the longest a dead leader delays the next', parsePort, 3)
    .option('--log-level <level>', 'trace, debug, info, warn, error', parseLevel, process.env.ORCHARD_LOG_LEVEL ?? 'info');
}

/** Parses argv (process.argv form) into MasterFlags; exits with usage on bad input. */
export function parseMasterFlags(argv: readonly string[]): MasterFlags {
  const cmd: Command = masterCommand();
  cmd.parse(argv as string[]);
  const o = cmd.opts<{
    etcd?: string;
    dataDir: string;
    listen: string;
    name: string;
    advertiseAddress?: string;
    etcdClientPort: number;
    etcdPeerPort: number;
    nodeGracePeriod: string;
    leaderLeaseTtl: number;
    logLevel: string;
  }>();
  let nodeGracePeriodMs: number;
  try {
    nodeGracePeriodMs = parseDuration(o.nodeGracePeriod);
  } catch (err) {
    cmd.error(`error: option '--node-grace-period <duration>' argument '${o.nodeGracePeriod}' is invalid. ${(err as Error).message}`);
  }
  const [host, port] = [o.listen.slice(0, o.listen.lastIndexOf(':')), o.listen.slice(o.listen.lastIndexOf(':') + 1)];
  const wildcard = host === '0.0.0.0' || host === '::' || host === '[::]';
  return {
    etcd: (o.etcd ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    dataDir: o.dataDir,
    listen: o.listen,
    name: o.name,
    advertiseAddress: o.advertiseAddress ?? (wildcard ? `${os.hostname()}:${port}` : o.listen),
    etcdClientPort: o.etcdClientPort,
    etcdPeerPort: o.etcdPeerPort,
    nodeGracePeriodMs,
    leaderLeaseTtlSeconds: o.leaderLeaseTtl,
    logLevel: o.logLevel,
  };
}
