import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { parse as parseYaml } from 'yaml';
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
  /** How long pods stay on an unreachable or not-ready node before eviction, unless they tolerate it longer (ms). */
  readonly podEvictionTimeoutMs?: number;
  /** Pods evicted per second across the cluster. */
  readonly evictionRate?: number;
  /** Fraction of nodes not Ready (0..1) above which nothing is evicted. */
  readonly unhealthyZoneThreshold?: number;
  /** Lease TTL of the leader key (seconds). */
  readonly leaderLeaseTtlSeconds: number;
  /** The cluster's server secret (opens the CA in etcd); default <dataDir>/server-secret, created on first start. */
  readonly serverSecretFile?: string;
  /** Audit log file (`-` for stderr); default <dataDir>/audit.log. */
  readonly auditLog?: string;
  /** YAML keyring for Secrets at rest ({ current, keys }); default: the key derived from the server secret. */
  readonly encryptionConfig?: string;
  /** Lifetime of the node certificates this master signs (join and renewal). */
  readonly nodeCertValidityMs?: number;
  /** Registries ("host:port" or an IPv4 CIDR) asked over plain HTTP when the scheduler looks up image platforms. */
  readonly insecureRegistries?: readonly string[];
  /** Ask registries for the platforms of images no node reports (default true). */
  readonly registryPlatformLookup?: boolean;
  readonly logLevel: string;
}

/**
 * Parses a certificate lifetime: "2160h", "90d", "30s", "45m". At least 10 s (a node
 * renews after two thirds of it and needs time to do so), at most ten years.
 */
export function parseCertValidity(value: string): number {
  const m = /^([0-9]+)(s|m|h|d)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`invalid duration "${value}" (examples: 2160h, 90d, 30s)`);
  const ms = Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  if (ms < 10_000) throw new InvalidArgumentError(`must be at least 10s, got "${value}"`);
  if (ms > 3650 * 86_400_000) throw new InvalidArgumentError(`must be at most 3650d (ten years), got "${value}"`);
  return ms;
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

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
  return n;
}

/** A fraction 0..1, or a percentage ("55%"). */
function parseFraction(value: string): number {
  const pct = value.endsWith('%');
  const n = Number(pct ? value.slice(0, -1) : value) / (pct ? 100 : 1);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`expected a fraction between 0 and 1 or a percentage, got "${value}"`);
  return n;
}

/** "true" or "false" (also from the --config file, where YAML booleans arrive as those words). */
function parseBoolean(value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError(`expected true or false, got "${value}"`);
}

/** Adds the comma-separated registries of one --insecure-registry to those before it. */
function collectRegistries(value: string, previous: string[] = []): string[] {
  const out = [...previous];
  for (const r of value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) {
    const cidr = /^\d+\.\d+\.\d+\.\d+\/\d{1,2}$/.test(r) && Number(r.split('/')[1]) <= 32;
    if (!cidr && !/^(?:[a-z0-9.-]+|\[[0-9a-f:]+\])(?::[0-9]{1,5})?$/.test(r)) throw new InvalidArgumentError(`expected HOST[:PORT] or an IPv4 CIDR (e.g. 10.0.0.5:5000, 192.168.1.0/24), got "${r}"`);
    if (!out.includes(r)) out.push(r);
  }
  return out;
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
    .option('--config <file>', 'YAML file of settings: keys are the long flag names below without dashes; flags on the command line win')
    .option('--etcd <urls>', 'etcd client URLs, comma-separated; without it an embedded etcd is started')
    .option('--data-dir <dir>', 'state folder (the embedded etcd keeps its data in <dir>/etcd)', '/var/lib/orchard')
    .option('--listen <addr:port>', 'gRPC listen address for the cluster API and node streams', parseListen, '0.0.0.0:7443')
    .option('--name <name>', 'name of this master', os.hostname())
    .option('--advertise-address <addr:port>', 'address agents and clients use to reach this master (default: --listen, with a wildcard host replaced by the hostname)')
    .option('--etcd-client-port <port>', 'client port of the embedded etcd (loopback)', parsePort, 2379)
    .option('--etcd-peer-port <port>', 'peer port of the embedded etcd (loopback)', parsePort, 2380)
    .option('--node-grace-period <duration>', 'how long a node may stay silent before it is marked NotReady', '4s')
    .option('--pod-eviction-timeout <duration>', 'how long pods stay on an unreachable or not-ready node before they are evicted (a pod\'s tolerationSeconds overrides it)', '3s')
    .option('--eviction-rate <per-second>', 'pods evicted per second across the cluster, so a network blip cannot empty it', parsePositive, 10)
    .option('--unhealthy-zone-threshold <fraction>', 'when more than this fraction of nodes is not ready (e.g. 0.55 or 55%), nothing is evicted: the master is probably the one cut off', parseFraction, 0.55)
    .option('--leader-lease-ttl <seconds>', 'lease TTL of the leader key: the longest a dead leader delays the next (etcd grants no less than about 2 s)', parsePort, 2)
    .option('--server-secret-file <file>', "file holding the cluster's server secret, which opens the CA stored in etcd (default: <data-dir>/server-secret, created on the first start)")
    .option('--encryption-config <file>', 'YAML keys for Secrets at rest: current: ID and keys: {ID: base64 of 32 bytes}; for rotation (default: a key derived from the server secret)')
    .option('--node-cert-validity <duration>', 'lifetime of the node certificates this master signs at join and renewal, s, m, h or d, e.g. 720h (default: 2160h, 90 days; agents renew once a third of it remains)', parseCertValidity)
    .option('--insecure-registry <host:port|cidr>', 'registry the scheduler asks over plain HTTP for the platforms of an image (HOST:PORT, or an IPv4 CIDR for any registry in it), as Docker\'s setting of that name; comma-separated or repeated (loopback registries always are)', collectRegistries)
    .option('--registry-platform-lookup <true|false>', 'ask an image\'s registry which platforms it provides when no node reports the image (false: such images are not filtered by architecture; for clusters that must not reach any registry)', parseBoolean, true)
    .option('--audit-log <file>', 'where mutating calls are recorded, one JSON line each; - for stderr (default: <data-dir>/audit.log)')
    .option('--log-level <level>', 'trace, debug, info, warn, error', parseLevel, process.env.ORCHARD_LOG_LEVEL ?? 'info');
}

/**
 * Parses argv (process.argv form) into MasterFlags; exits with usage on bad input (or
 * throws a CommanderError with `throwOnError`, for tests).
 */
export function parseMasterFlags(argv: readonly string[], opts: { throwOnError?: boolean } = {}): MasterFlags {
  const cmd: Command = masterCommand();
  if (opts.throwOnError) cmd.exitOverride().configureOutput({ writeErr: () => undefined });
  cmd.parse(withConfigFile(cmd, argv));
  const o = cmd.opts<{
    etcd?: string;
    dataDir: string;
    listen: string;
    name: string;
    advertiseAddress?: string;
    etcdClientPort: number;
    etcdPeerPort: number;
    nodeGracePeriod: string;
    podEvictionTimeout: string;
    evictionRate: number;
    unhealthyZoneThreshold: number;
    leaderLeaseTtl: number;
    serverSecretFile?: string;
    auditLog?: string;
    encryptionConfig?: string;
    nodeCertValidity?: number;
    insecureRegistry?: string[];
    registryPlatformLookup: boolean;
    logLevel: string;
  }>();
  let nodeGracePeriodMs: number;
  try {
    nodeGracePeriodMs = parseDuration(o.nodeGracePeriod);
  } catch (err) {
    cmd.error(`error: option '--node-grace-period <duration>' argument '${o.nodeGracePeriod}' is invalid. ${(err as Error).message}`);
  }
  let podEvictionTimeoutMs: number;
  try {
    podEvictionTimeoutMs = parseDuration(o.podEvictionTimeout);
  } catch (err) {
    cmd.error(`error: option '--pod-eviction-timeout <duration>' argument '${o.podEvictionTimeout}' is invalid. ${(err as Error).message}`);
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
    podEvictionTimeoutMs,
    evictionRate: o.evictionRate,
    unhealthyZoneThreshold: o.unhealthyZoneThreshold,
    leaderLeaseTtlSeconds: o.leaderLeaseTtl,
    serverSecretFile: o.serverSecretFile,
    auditLog: o.auditLog,
    encryptionConfig: o.encryptionConfig,
    nodeCertValidityMs: o.nodeCertValidity,
    insecureRegistries: o.insecureRegistry,
    registryPlatformLookup: o.registryPlatformLookup,
    logLevel: o.logLevel,
  };
}

/**
 * `orchard-master join MASTER:PORT --token ID.SECRET --discovery-token-ca-cert-hash sha256:HEX [flags]`:
 * the join's own arguments, and argv without them (the master's flags, parsed as usual).
 */
export function splitJoinArgs(argv: readonly string[]): { join?: { server: string; token: string; caCertHash: string; joinOnly: boolean }; argv: string[] } {
  if (argv[2] !== 'join') return { argv: [...argv] };
  const server = argv[3];
  const usage = 'usage: orchard-master join MASTER:PORT --token ID.SECRET --discovery-token-ca-cert-hash sha256:HEX [flags]';
  if (!server || server.startsWith('-')) throw new InvalidArgumentError(`join: the master address comes first\n${usage}`);
  const rest: string[] = [];
  let token = '';
  let caCertHash = '';
  let joinOnly = false;
  const args = argv.slice(4);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--join-only') joinOnly = true;
    else if (args[i] === '--token') token = args[++i] ?? '';
    else if (args[i] === '--discovery-token-ca-cert-hash') caCertHash = args[++i] ?? '';
    else rest.push(args[i]!);
  }
  if (!token || !caCertHash) throw new InvalidArgumentError(`join: --token and --discovery-token-ca-cert-hash are required\n${usage}`);
  return { join: { server, token, caCertHash, joinOnly }, argv: [argv[0]!, argv[1]!, ...rest] };
}

/**
 * The command line with the settings of --config FILE put in front of the given flags,
 * so that a flag on the command line overrides the file (the last value wins).
 */
function withConfigFile(cmd: Command, argv: readonly string[]): string[] {
  const args = argv.slice(2);
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--config') file = args[i + 1];
    else if (args[i]!.startsWith('--config=')) file = args[i]!.slice('--config='.length);
  }
  if (!file) return [...argv];
  let settings: unknown;
  try {
    settings = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    cmd.error(`error: cannot read --config ${file}: ${(err as Error).message}`);
  }
  if (settings === null || settings === undefined) return [...argv];
  if (typeof settings !== 'object' || Array.isArray(settings)) cmd.error(`error: --config ${file} must be a map of settings`);
  const known = new Set(cmd.options.map((o) => o.long?.slice(2)).filter((n) => n && n !== 'config' && n !== 'help' && n !== 'version'));
  const fromFile: string[] = [];
  for (const [key, value] of Object.entries(settings as Record<string, unknown>)) {
    if (!known.has(key)) cmd.error(`error: unknown setting "${key}" in ${file} (settings are the long flag names of orchard-master --help)`);
    if (value === null || typeof value === 'object') cmd.error(`error: setting "${key}" in ${file} must be a single value`);
    fromFile.push(`--${key}`, String(value));
  }
  return [argv[0]!, argv[1]!, ...fromFile, ...args];
}
