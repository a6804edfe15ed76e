import { spawn } from 'node:child_process';
import { promises as fs, openSync, closeSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { exec, run, type ExecOptions, type ExecResult } from './exec';
import { docker, type Engine } from './docker';
import { loadTestImages } from './images';
import { BRIDGE, BRIDGE_ADDRESS, LAN_PREFIX_LENGTH, nodeLayout, type NodeLayout } from './layout';
import { unmountUnder } from './mounts';
import { isAlive, pidsMentioning, signal, terminate, waitGone } from './procfs';
import { waitFor } from './wait';

/**
 * A simulated Raspberry Pi: a network namespace on the LAN bridge with its own address,
 * hostname (UTS namespace) and dockerd. Plain data, so the global setup can hand it to
 * test files through vitest's provide/inject.
 */
export interface SimNode extends NodeLayout {
  /** /var/run/netns/NAME: pass to nsenter --net=. */
  netnsPath: string;
  /** The node's dockerd; its UTS namespace carries the node's hostname. */
  dockerdPid: number;
  pidfile: string;
  dataRoot: string;
  execRoot: string;
  dockerdLog: string;
}

/** The node's Docker engine, for docker.ts helpers. */
export function nodeEngine(node: Pick<SimNode, 'socket'>): Engine {
  return { socket: node.socket };
}

/**
 * The nsenter words that put a command inside the node: its network namespace and the
 * UTS namespace (hostname) of its dockerd. nsenter, not `ip netns exec`: the latter
 * remounts /sys, which breaks dockerd's cgroup discovery.
 */
export function nodeNsenter(node: Pick<SimNode, 'netnsPath' | 'dockerdPid'> & Partial<Pick<SimNode, 'pidfile'>>): string[] {
  const words = ['nsenter', `--net=${node.netnsPath}`];
  const pid = liveDockerdPid(node);
  if (pid) words.push(`--uts=/proc/${pid}/ns/uts`);
  return words;
}

/**
 * The pid of the node's running dockerd, 0 when none runs. After restartNodeDockerd the
 * pid a test file was handed by the global setup is stale: the pid file names the new one
 * (and the node object is updated with it).
 */
export function liveDockerdPid(node: Pick<SimNode, 'dockerdPid'> & Partial<Pick<SimNode, 'pidfile'>>): number {
  if (isAlive(node.dockerdPid)) return node.dockerdPid;
  if (!node.pidfile) return 0;
  let fromFile = 0;
  try {
    fromFile = Number(readFileSync(node.pidfile, 'utf8').trim() || 0);
  } catch {
    // No pid file: the daemon is down (between stop and start).
  }
  if (!(fromFile > 0) || !isAlive(fromFile)) return 0;
  node.dockerdPid = fromFile;
  return fromFile;
}

/** Runs a command inside the node's namespaces (e.g. wget to a pod IP from the node). */
export function inNode(node: SimNode, args: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
  const [file, ...rest] = [...nodeNsenter(node), ...args];
  return exec(file, rest, { timeoutMs: 60_000, ...opts });
}

async function ensureGoneNetns(name: string): Promise<void> {
  const list = await run('ip', ['netns', 'list']);
  if (list.split('\n').some((l) => l.split(' ')[0] === name)) await run('ip', ['netns', 'del', name]);
}

async function linkExists(name: string): Promise<boolean> {
  return (await exec('ip', ['link', 'show', 'dev', name])).code === 0;
}

/** Plugs a new namespace into the LAN: veth pair, eth0 with the node's address, default route. */
async function createNetwork(l: NodeLayout): Promise<void> {
  await run('ip', ['netns', 'add', l.netns]);
  const peer = `${l.hostVeth}-p`;
  await run('ip', ['link', 'add', l.hostVeth, 'type', 'veth', 'peer', 'name', peer]);
  await run('ip', ['link', 'set', peer, 'netns', l.netns]);
  await run('ip', ['-n', l.netns, 'link', 'set', peer, 'name', 'eth0']);
  await run('ip', ['link', 'set', l.hostVeth, 'master', BRIDGE, 'up']);
  await run('ip', ['-n', l.netns, 'addr', 'add', `${l.address}/${LAN_PREFIX_LENGTH}`, 'dev', 'eth0']);
  await run('ip', ['-n', l.netns, 'link', 'set', 'eth0', 'up']);
  await run('ip', ['-n', l.netns, 'link', 'set', 'lo', 'up']);
  await run('ip', ['-n', l.netns, 'route', 'add', 'default', 'via', BRIDGE_ADDRESS]);
  // Nodes have no way out of the LAN. A DNS query to the host's resolver would vanish and
  // time out (Docker Swarm, for one, tries to pull every task's image and waits seconds
  // for it): make the resolvers unreachable so lookups fail at once, as offline Pis do.
  for (const ns of await hostNameservers()) {
    await run('ip', ['-n', l.netns, 'route', 'add', 'unreachable', `${ns}/32`]);
  }
}

/** The IPv4 resolvers of the host's /etc/resolv.conf, except loopback ones. */
async function hostNameservers(): Promise<string[]> {
  const text = await fs.readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/.exec(line);
    if (m && !m[1].startsWith('127.') && !m[1].startsWith('192.168.77.')) out.add(m[1]);
  }
  return [...out];
}

/** Starts the node's dockerd inside its namespaces; resolves once it answers. */
export async function startDockerd(node: SimNode): Promise<number> {
  await fs.mkdir(node.dataRoot, { recursive: true });
  await fs.mkdir(node.execRoot, { recursive: true });
  // An empty config file: the host's /etc/docker/daemon.json must not leak into nodes.
  const config = path.join(node.dir, 'daemon.json');
  await fs.writeFile(config, '{}\n');
  const logFd = openSync(node.dockerdLog, 'a');
  const args = [
    `--net=${node.netnsPath}`,
    'unshare',
    '--uts',
    'sh',
    '-c',
    'hostname "$0" && exec dockerd "$@"',
    node.name,
    '--config-file', config,
    '--data-root', node.dataRoot,
    '--exec-root', node.execRoot,
    '--pidfile', node.pidfile,
    '-H', `unix://${node.socket}`,
    '--bip', node.bip,
    // The private-registry tests run a plain-HTTP registry on the host's LAN address
    // (any port of the bed's range); Docker takes a CIDR here, so the port is free.
    '--insecure-registry', `${BRIDGE_ADDRESS}/32`,
    '--log-level', 'warn',
  ];
  // Detached: the node outlives the test file that started it; teardown kills it by pid.
  const child = spawn('nsenter', args, { detached: true, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  child.unref();
  const pid = child.pid;
  if (!pid) throw new Error(`failed to start dockerd for ${node.name}`);
  node.dockerdPid = pid;
  try {
    await waitFor(
      `dockerd of ${node.name} to answer on ${node.socket}`,
      async () => {
        if (!isAlive(pid)) throw new Error(`dockerd exited; see ${node.dockerdLog}`);
        return (await docker(nodeEngine(node), ['info', '--format', '{{.ID}}'], { timeoutMs: 5_000 })).code === 0;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  } catch (e) {
    const tail = await fs.readFile(node.dockerdLog, 'utf8').catch(() => '');
    throw new Error(`${(e as Error).message}\n${tail.split('\n').slice(-15).join('\n')}`, { cause: e });
  }
  return pid;
}

/**
 * Stops the node's dockerd (SIGTERM, SIGKILL after graceMs) and whatever it left running
 * under its exec root (containerd, shims), found by that folder in their command lines
 * (agents only name the socket, which lies outside it, so they are spared).
 */
export async function stopDockerd(node: SimNode, graceMs = 20_000): Promise<void> {
  const pids = new Set<number>([node.dockerdPid]);
  const fromFile = Number((await fs.readFile(node.pidfile, 'utf8').catch(() => '')).trim());
  if (fromFile > 0) pids.add(fromFile);
  for (const pid of pids) await terminate(pid, graceMs);
  for (const pid of await pidsMentioning(node.execRoot)) signal(pid, 'SIGKILL');
}

/** How a node's dockerd goes down in restartNodeDockerd. */
export type DockerdStop = 'clean' | 'SIGKILL';

/**
 * Restarts the node's dockerd as a service manager would, after a clean stop (SIGTERM:
 * dockerd stops its containers and its containerd) or a crash (SIGKILL: its managed
 * containerd dies with it through its parent-death signal; the shims and containers stay
 * until the new daemon cleans them up). `downMs` is how long the engine stays away.
 *
 * Why a plain startDockerd after a SIGKILL failed ("lost its containerd after 5–8 s"):
 * dockerd decides whether its previous self or its managed containerd still runs from
 * their pid files — `<exec-root>/containerd/containerd.pid` by kill(pid, 0), docker.pid
 * by the existence of /proc/PID. A process that was killed but not yet reaped (a zombie)
 * passes both checks. The new dockerd then either refused to start ("pid file found") or
 * adopted the dead containerd, failed its health checks and gave up on it a few seconds
 * later. So: wait until both have really exited, stop a containerd that outlived its
 * dockerd, and remove both pid files before starting again. Nothing is shared between
 * nodes (each has its own exec root, data root and sockets), so other nodes are untouched.
 * @returns the new dockerd's pid (also stored in node.dockerdPid).
 */
export async function restartNodeDockerd(node: SimNode, how: DockerdStop, downMs = 0): Promise<number> {
  const containerdPidFile = path.join(node.execRoot, 'containerd', 'containerd.pid');
  const old = node.dockerdPid;
  if (how === 'clean') await terminate(old, 30_000);
  else {
    signal(old, 'SIGKILL');
    if (!(await waitGone(old, 10_000))) throw new Error(`dockerd of ${node.name} (pid ${old}) survived SIGKILL for 10 s`);
  }
  for (const pid of await pidsMentioning(node.execRoot)) {
    const argv0 = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0')[0] ?? '';
    if (path.basename(argv0) !== 'containerd') continue;
    signal(pid, 'SIGKILL');
    if (!(await waitGone(pid, 10_000))) throw new Error(`containerd of ${node.name} (pid ${pid}) survived SIGKILL for 10 s`);
  }
  await fs.rm(node.pidfile, { force: true });
  await fs.rm(containerdPidFile, { force: true });
  if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
  await fs.appendFile(node.dockerdLog, `--- restartNodeDockerd (${how}) at ${new Date().toISOString()} ---\n`);
  return startDockerd(node);
}

/**
 * Creates simulated node N: namespace, veth into the bridge, dockerd, test images loaded.
 * The LAN bridge must exist (lan.ts createLan).
 */
export async function createNode(index: number, imagesTarball: string): Promise<SimNode> {
  const l = nodeLayout(index);
  const node: SimNode = {
    ...l,
    netnsPath: `/var/run/netns/${l.netns}`,
    dockerdPid: 0,
    pidfile: path.join(l.dir, 'docker.pid'),
    dataRoot: path.join(l.dir, 'data'),
    execRoot: path.join(l.dir, 'exec'),
    dockerdLog: path.join(l.dir, 'dockerd.log'),
  };
  try {
    await removeNode(node);
    await fs.mkdir(l.dir, { recursive: true });
    await createNetwork(l);
    await startDockerd(node);
    await loadTestImages(nodeEngine(node), imagesTarball);
    return node;
  } catch (e) {
    await removeNode(node).catch(() => undefined);
    throw new Error(`failed to create simulated node ${l.name}: ${(e as Error).message}`, { cause: e });
  }
}

/** The layout-only view of node N, enough for removeNode to clean a crashed run's leftovers. */
export function leftoverNode(index: number): SimNode {
  const l = nodeLayout(index);
  return {
    ...l,
    netnsPath: `/var/run/netns/${l.netns}`,
    dockerdPid: 0,
    pidfile: path.join(l.dir, 'docker.pid'),
    dataRoot: path.join(l.dir, 'data'),
    execRoot: path.join(l.dir, 'exec'),
    dockerdLog: path.join(l.dir, 'dockerd.log'),
  };
}

/**
 * Removes everything node N consists of: its dockerd and children, the mounts they left,
 * the namespace, the veth and the folder. Safe to call on a node that does not (fully) exist.
 */
export async function removeNode(node: SimNode): Promise<void> {
  // dockerd's shutdown gives each container 10 s to exit on SIGTERM (busybox as pid 1
  // ignores it): kill them first, teardown need not be graceful.
  if (isAlive(node.dockerdPid)) {
    const engine = nodeEngine(node);
    const ids = (await docker(engine, ['ps', '-q'], { timeoutMs: 10_000 })).stdout.split('\n').filter(Boolean);
    if (ids.length) await docker(engine, ['kill', ...ids], { timeoutMs: 20_000 });
  }
  await stopDockerd(node);
  await unmountUnder(node.dir);
  await ensureGoneNetns(node.netns);
  // Deleting the namespace destroys eth0 and with it (asynchronously) the host end.
  if (await linkExists(node.hostVeth)) {
    const r = await exec('ip', ['link', 'del', node.hostVeth]);
    if (r.code !== 0 && (await linkExists(node.hostVeth))) throw new Error(`ip link del ${node.hostVeth}: ${r.stderr.trim()}`);
  }
  await fs.rm(node.dir, { recursive: true, force: true });
}

/** Pulls the node's network cable: its veth goes down, the node is unreachable. */
export async function cutLink(node: SimNode): Promise<void> {
  await run('ip', ['link', 'set', node.hostVeth, 'down']);
}

/** Plugs the cable back in. */
export async function restoreLink(node: SimNode): Promise<void> {
  await run('ip', ['link', 'set', node.hostVeth, 'up']);
}
