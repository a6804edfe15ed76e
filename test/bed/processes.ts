import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './layout';
import { liveDockerdPid, nodeNsenter, type SimNode } from './netns-node';
import { TEST_IMAGES } from './images';
import { signal as sendSignal } from './procfs';
import { sleep } from './wait';

/** How a process ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A process the bed started: its pid, its log, and how to stop it. */
export interface ManagedProcess {
  /** Human name for messages: "master m1", "agent pi2", "etcd e1". */
  name: string;
  pid: number;
  logFile: string;
  /** Settles when the process has exited. */
  exited: Promise<ExitInfo>;
  /** Set once exited. */
  exit?: ExitInfo;
  child: ChildProcess;
}

/** Every process started by this module and not yet reaped: teardown kills what is left. */
const registry = new Set<ManagedProcess>();

// Last resort when a test file dies without its afterAll: leave no process behind.
process.once('exit', () => {
  for (const p of registry) sendSignal(p.pid, 'SIGKILL');
});

export interface StartOptions {
  logFile: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Starts a long-running process with its stdout and stderr appended to logFile. */
export function startProcess(name: string, file: string, args: readonly string[], opts: StartOptions): ManagedProcess {
  mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const fd = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(file, args, { cwd: opts.cwd ?? REPO_ROOT, env: opts.env ?? process.env, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  if (!child.pid) throw new Error(`failed to start ${name} (${file})`);
  const proc: ManagedProcess = {
    name,
    pid: child.pid,
    logFile: opts.logFile,
    child,
    exited: new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, sig) => {
        proc.exit = { code, signal: sig };
        registry.delete(proc);
        resolve(proc.exit);
      });
    }),
  };
  child.once('error', () => undefined);
  registry.add(proc);
  return proc;
}

/** Sends a signal to the process (by its pid). */
export function signalProcess(p: ManagedProcess, sig: NodeJS.Signals): void {
  if (!p.exit) sendSignal(p.pid, sig);
}

/** Waits for the process to exit; throws if it is still running after timeoutMs. */
export async function waitExit(p: ManagedProcess, timeoutMs = 15_000): Promise<ExitInfo> {
  const t = sleep(timeoutMs).then(() => undefined);
  const r = await Promise.race([p.exited, t]);
  if (!r) throw new Error(`${p.name} (pid ${p.pid}) still running ${timeoutMs} ms after it was asked to stop`);
  return r;
}

/** SIGTERM (or the given signal), then SIGKILL after graceMs; resolves once it has exited. */
export async function stopProcess(p: ManagedProcess, sig: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<ExitInfo> {
  if (p.exit) return p.exit;
  signalProcess(p, sig);
  const first = await Promise.race([p.exited, sleep(graceMs).then(() => undefined)]);
  if (first) return first;
  signalProcess(p, 'SIGKILL');
  return waitExit(p, 10_000);
}

/** Kills every process this module started that is still running (SIGKILL) and waits. */
export async function killAll(): Promise<void> {
  const left = [...registry];
  for (const p of left) signalProcess(p, 'SIGKILL');
  await Promise.all(left.map((p) => waitExit(p, 10_000).catch(() => undefined)));
}

/** The last lines of a process's log, for failure messages. */
export function logTail(p: Pick<ManagedProcess, 'logFile'>, lines = 40): string {
  try {
    return readFileSync(p.logFile, 'utf8').split('\n').slice(-lines - 1).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * The Node.js flags the installed agent runs with (the `env -S node ...` line of its bin
 * script), so that tests and benchmarks run the agent as installed.
 */
export function agentNodeFlags(): string[] {
  const first = readFileSync(path.join(REPO_ROOT, 'packages', 'agent', 'bin', 'orchard-agent'), 'utf8').split('\n')[0] ?? '';
  const m = /^#!\S*env -S node\s*(.*)$/.exec(first);
  return m ? m[1]!.split(/\s+/).filter(Boolean) : [];
}

/** The built entry point of a package, with a clear message when it has not been built. */
export function distMain(pkg: 'master' | 'agent' | 'cli'): string {
  const file = path.join(REPO_ROOT, 'packages', pkg, 'dist', 'main.js');
  if (!existsSync(file)) throw new Error(`${file} missing: run npm run build (test/bed/prepare.sh does)`);
  return file;
}

export interface MasterOptions {
  name: string;
  /** etcd client URLs. */
  etcd: string[];
  /** ADDR:PORT; agents on simulated nodes reach the host at the bridge address. */
  listen: string;
  dataDir: string;
  logFile: string;
  extraArgs?: string[];
}

/** Starts orchard-master from packages/master/dist on the host. */
export function startMaster(o: MasterOptions): ManagedProcess {
  mkdirSync(o.dataDir, { recursive: true });
  // Test traffic stays on loopback and the bed's namespaces: no registry lookups unless a
  // test asks for them (its --registry-platform-lookup true comes later and wins).
  const args = [distMain('master'), '--etcd', o.etcd.join(','), '--listen', o.listen, '--name', o.name, '--data-dir', o.dataDir, '--registry-platform-lookup', 'false', ...(o.extraArgs ?? [])];
  return startProcess(`master ${o.name}`, process.execPath, args, { logFile: o.logFile });
}

export interface AgentOptions {
  /** The simulated node to run in; without one the agent runs on the host (see dockerSocket). */
  node?: SimNode;
  /** Docker socket when running on the host (default /var/run/docker.sock). */
  dockerSocket?: string;
  /** HOST:PORT of the master(s), comma-separated for several. */
  server: string;
  dataDir: string;
  logFile: string;
  /** Defaults to the simulated node's name; required on the host. */
  nodeName?: string;
  extraArgs?: string[];
  /** First start: join with this token (`orchard-agent join ...`); later starts use the stored credentials. */
  join?: { server: string; token: string; caCertHash: string };
}

/**
 * Starts orchard-agent from packages/agent/dist inside the simulated node: its network
 * namespace and hostname, talking to the node's own dockerd.
 */
export function startAgent(o: AgentOptions): ManagedProcess {
  mkdirSync(o.dataDir, { recursive: true });
  const nodeName = o.nodeName ?? o.node?.name;
  if (!nodeName) throw new Error('startAgent: nodeName is required for an agent on the host');
  const agentArgs = [
    ...agentNodeFlags(),
    distMain('agent'),
    ...(o.join ? ['join', o.join.server, '--token', o.join.token, '--discovery-token-ca-cert-hash', o.join.caCertHash] : []),
    '--server', o.server,
    '--node-name', nodeName,
    '--docker-socket', o.node?.socket ?? o.dockerSocket ?? '/var/run/docker.sock',
    '--pause-image', TEST_IMAGES.pause,
    '--data-dir', o.dataDir,
    ...(o.extraArgs ?? []),
  ];
  if (!o.node) return startProcess(`agent ${nodeName}`, process.execPath, agentArgs, { logFile: o.logFile });
  if (!liveDockerdPid(o.node)) throw new Error(`dockerd of ${o.node.name} (pid ${o.node.dockerdPid}) is not running`);
  const [nsenter, ...nsArgs] = nodeNsenter(o.node);
  // nsenter execs the program, so the pid is the agent's own.
  return startProcess(`agent ${nodeName}`, nsenter, [...nsArgs, process.execPath, ...agentArgs], { logFile: o.logFile });
}
