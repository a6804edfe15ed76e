import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Command, CommanderError, Option } from 'commander';
import { parseCpuMillis, parseMemoryBytes } from '@orchard/api/agent';
import { useTransiently } from './transient-module';
import { AGENT_VERSION } from './version';

/** The agent's configuration, from flags and environment. */
export interface AgentConfig {
  /** Master addresses as HOST:PORT. */
  servers: string[];
  nodeName: string;
  dockerSocket: string;
  pauseImage: string;
  dataDir: string;
  systemReserved: { cpuMillis: number; memoryBytes: number };
  maxPods: number;
  logLevel: string;
  /** Where the Pi health files are read below ('/' on a real node; a fixture tree on simulated ones). */
  piHealthRoot: string;
}

/** A flag value the agent cannot use; main prints it and exits with status 2. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Parses "host:port,host:port"; a bare host gets the default port 7443. */
export function parseServers(value: string): string[] {
  const servers = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (servers.length === 0) throw new FlagError('--server: at least one HOST:PORT is required');
  return servers.map((s) => {
    const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]+)(?::(\d+))?$/.exec(s);
    const port = m?.[2] === undefined ? 7443 : Number(m[2]);
    if (!m || port < 1 || port > 65535) throw new FlagError(`--server: invalid address "${s}" (want HOST:PORT)`);
    return `${m[1]}:${port}`;
  });
}

/** Parses "cpu=250m,memory=256Mi" (either part may be left out). */
export function parseReserved(value: string): { cpuMillis: number; memoryBytes: number } {
  const out = { cpuMillis: 0, memoryBytes: 0 };
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [key, v] = part.split('=', 2);
    try {
      if (key === 'cpu' && v) out.cpuMillis = parseCpuMillis(v);
      else if (key === 'memory' && v) out.memoryBytes = parseMemoryBytes(v);
      else throw new Error('want cpu=QUANTITY or memory=QUANTITY');
    } catch (err) {
      throw new FlagError(`--system-reserved: invalid "${part}": ${(err as Error).message}`);
    }
  }
  return out;
}

function parseMaxPods(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new FlagError(`--max-pods: want a positive integer, got "${value}"`);
  return n;
}

/** The command-line definition (kept apart from the code that acts on it). */
export function agentCommand(): Command {
  return new Command('orchard-agent')
    .description('Runs this node\'s pods through the local Docker engine for an Orchard cluster.')
    .version(AGENT_VERSION)
    .option('--config <file>', 'YAML file of settings: keys are the long flag names below without dashes; flags on the command line win')
    .addOption(
      new Option('--server <host:port[,host:port...]>', 'master addresses, tried in turn').env('ORCHARD_SERVER'),
    )
    .option('--node-name <name>', 'the name of this node', os.hostname())
    .option('--docker-socket <path>', 'the Docker engine socket', '/var/run/docker.sock')
    .option('--pause-image <image>', 'the image of each pod\'s infra container', 'registry.k8s.io/pause:3.10')
    .option('--data-dir <dir>', 'where the agent keeps its local state', '/var/lib/orchard-agent')
    .option('--system-reserved <list>', 'resources kept for the system: allocatable = capacity - reserve', 'cpu=250m,memory=256Mi')
    .option('--max-pods <n>', 'the most pods this node runs', '110')
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info'))
    .option(
      '--pi-health-root <dir>',
      'read the Pi health files (SoC temperature, get_throttled, board model) below DIR instead of /: for simulated nodes in tests, never needed on a Pi',
      '/',
    )
    .allowExcessArguments(false);
}

/**
 * Parses the agent's command line. Throws FlagError for an unusable value, and
 * commander's CommanderError for --help/--version (exitCode 0) and unknown flags.
 */
export function parseFlags(argv: readonly string[], opts: { writeOut?: (s: string) => void; writeErr?: (s: string) => void } = {}): AgentConfig {
  const cmd = agentCommand().exitOverride();
  if (opts.writeOut || opts.writeErr) {
    cmd.configureOutput({ writeOut: opts.writeOut ?? (() => undefined), writeErr: opts.writeErr ?? (() => undefined) });
  }
  cmd.parse(withConfigFile(cmd, argv), { from: 'user' });
  const o = cmd.opts<{
    server?: string;
    nodeName: string;
    dockerSocket: string;
    pauseImage: string;
    dataDir: string;
    systemReserved: string;
    maxPods: string;
    logLevel: string;
    piHealthRoot: string;
  }>();
  if (!o.server) throw new FlagError('--server (or ORCHARD_SERVER) is required: the master address HOST:PORT');
  const nodeName = o.nodeName.trim().toLowerCase();
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(nodeName)) {
    throw new FlagError(`--node-name: "${o.nodeName}" is not a valid node name (lowercase letters, digits, '-' and '.')`);
  }
  return {
    servers: parseServers(o.server),
    nodeName,
    dockerSocket: o.dockerSocket.replace(/^unix:\/\//, ''),
    pauseImage: o.pauseImage,
    dataDir: o.dataDir,
    systemReserved: parseReserved(o.systemReserved),
    maxPods: parseMaxPods(o.maxPods),
    logLevel: o.logLevel,
    piHealthRoot: o.piHealthRoot,
  };
}

/**
 * The command line with the settings of --config FILE put in front of the given flags,
 * so that a flag on the command line overrides the file (the last value wins).
 */
function withConfigFile(cmd: Command, argv: readonly string[]): string[] {
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--config') file = argv[i + 1];
    else if (argv[i]!.startsWith('--config=')) file = argv[i]!.slice('--config='.length);
  }
  if (!file) return [...argv];
  let settings: unknown;
  try {
    // Read once at start: the yaml library is not kept loaded.
    settings = useTransiently<typeof import('yaml'), unknown>('yaml', (yaml) => yaml.parse(readFileSync(file, 'utf8')));
  } catch (err) {
    throw new FlagError(`--config: cannot read ${file}: ${(err as Error).message}`);
  }
  if (settings === null || settings === undefined) return [...argv];
  if (typeof settings !== 'object' || Array.isArray(settings)) throw new FlagError(`--config: ${file} must be a map of settings`);
  const known = new Set(cmd.options.map((o) => o.long?.slice(2)).filter((n) => n && !['config', 'help', 'version'].includes(n)));
  const fromFile: string[] = [];
  for (const [key, value] of Object.entries(settings as Record<string, unknown>)) {
    if (!known.has(key)) throw new FlagError(`--config: unknown setting "${key}" in ${file} (settings are the long flag names of orchard-agent --help)`);
    if (value === null || typeof value === 'object') throw new FlagError(`--config: setting "${key}" in ${file} must be a single value`);
    fromFile.push(`--${key}`, String(value));
  }
  return [...fromFile, ...argv];
}

export { CommanderError };
