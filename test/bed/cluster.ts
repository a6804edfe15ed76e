import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cliFor, itemsOf, type Cli } from './cli';
import { containersWithLabel, docker } from './docker';
import { endpoints, etcdKeys, etcdRevision, etcdctl, startEtcd, stopEtcd, type EtcdCluster } from './etcd';
import type { BedFacts } from './facts';
import { nodeEngine, type SimNode } from './netns-node';
import { canConnect, freePort } from './ports';
import { createJoinCommand, hasJoined, waitAdminConfig, type JoinCommand } from './join';
import { killAll, logTail, startAgent, startMaster, stopProcess, type ManagedProcess } from './processes';
import { waitFor } from './wait';

/** Label the agent puts on every container it owns. */
export const POD_UID_LABEL = 'io.orchard.pod.uid';
export const POD_NAME_LABEL = 'io.orchard.pod.name';

export interface ClusterOptions {
  /** Names the run folder (logs, etcd data): use the test file's name. */
  name: string;
  /** The simulated nodes to run agents on (all of the bed's by default). */
  nodes?: SimNode[];
  /** 1 or 3 etcd members. */
  etcdMembers?: 1 | 3;
  masters?: number;
  /** Start an agent on each node (default true). */
  agents?: boolean;
  masterArgs?: string[];
  /** Extra agent flags, the same for every node or per node. */
  agentArgs?: string[] | ((node: SimNode) => string[]);
}

/** A master the cluster started, with what is needed to restart it identically. */
export interface MasterHandle {
  name: string;
  address: string;
  proc: ManagedProcess;
}

/**
 * etcd + masters + agents of one test file, on the shared simulated nodes. Every process
 * it starts is stopped by teardown(); pods are deleted through the product first, so the
 * nodes stay clean for the next file.
 */
export class TestCluster {
  readonly masters: MasterHandle[] = [];
  readonly agents = new Map<string, ManagedProcess>();
  /** Comma-separated master addresses, as ORCHARD_SERVER and --server take them. */
  server = '';
  cli: Cli = cliFor('');
  /** The admin credentials of the first master; also exported as ORCHARD_CONFIG, so every CLI of this test file uses them. */
  adminConfig = '';
  /** The join command agents start with the first time (created once the first master serves). */
  joinCommand: JoinCommand | undefined;

  constructor(
    readonly bed: BedFacts,
    readonly runDir: string,
    readonly etcd: EtcdCluster,
    readonly nodes: SimNode[],
    private readonly opts: ClusterOptions,
  ) {}

  node(name: string): SimNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no simulated node ${name} in this cluster`);
    return n;
  }

  /** The cluster's server secret, shared by all masters of this cluster (they open one CA with it). */
  get serverSecretFile(): string {
    const file = path.join(this.runDir, 'server-secret');
    if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64url') + '\n', { mode: 0o600 });
    return file;
  }

  /** Starts master number i (1-based) on a fresh port; waits until it accepts connections. */
  async startMaster(i: number): Promise<MasterHandle> {
    const name = `m${i}`;
    const existing = this.masters.find((m) => m.name === name);
    const address = existing?.address ?? `${this.bed.bridgeAddress}:${await freePort()}`;
    const proc = startMaster({
      name,
      etcd: endpoints(this.etcd),
      listen: address,
      dataDir: path.join(this.runDir, `master-${name}`),
      logFile: path.join(this.runDir, `master-${name}.log`),
      extraArgs: ['--server-secret-file', this.serverSecretFile, ...(this.opts.masterArgs ?? [])],
    });
    const handle: MasterHandle = { name, address, proc };
    if (existing) Object.assign(existing, handle);
    else this.masters.push(handle);
    this.server = this.masters.map((m) => m.address).join(',');
    this.cli = cliFor(this.server);
    const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
    await waitFor(`master ${name} to listen on ${address}`, async () => {
      if (proc.exit) throw new Error(`master ${name} exited (${JSON.stringify(proc.exit)}):\n${logTail(proc, 30)}`);
      return canConnect(host, port);
    }, { timeoutMs: 30_000 });
    if (!this.adminConfig) {
      this.adminConfig = await waitAdminConfig(path.join(this.runDir, `master-${name}`), proc);
      // The bed's CLI helpers pass process.env on: every CLI of this test file is the admin.
      process.env.ORCHARD_CONFIG = this.adminConfig;
    }
    return existing ?? handle;
  }

  /** Stops a master by pid with the given signal and waits for it to exit. */
  async stopMaster(name: string, sig: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const m = this.masters.find((x) => x.name === name);
    if (!m) throw new Error(`no master ${name}`);
    await stopProcess(m.proc, sig);
  }

  /** Starts the agent of a node (again), with its data folder kept across restarts. */
  startAgent(node: SimNode): ManagedProcess {
    const running = this.agents.get(node.name);
    if (running && !running.exit) throw new Error(`agent ${node.name} already running (pid ${running.pid})`);
    const dataDir = path.join(this.runDir, `agent-${node.name}`);
    // The first start joins with the token (as an installed node does); later ones use the stored credentials.
    const join = hasJoined(dataDir) ? undefined : this.joinCommand;
    if (!hasJoined(dataDir) && !join) throw new Error(`agent ${node.name} has not joined and the cluster has no join token (createJoinToken first)`);
    const proc = startAgent({
      node,
      server: this.server,
      join,
      dataDir,
      logFile: path.join(this.runDir, `agent-${node.name}.log`),
      extraArgs: typeof this.opts.agentArgs === 'function' ? this.opts.agentArgs(node) : this.opts.agentArgs,
    });
    this.agents.set(node.name, proc);
    return proc;
  }

  /** Creates the join token the agents of this cluster join with (unlimited uses, 24 h). */
  async createJoinToken(): Promise<JoinCommand> {
    this.joinCommand = await createJoinCommand(this.cli, ['--description', `test bed ${this.opts.name}`]);
    return this.joinCommand;
  }

  /** Stops a node's agent by pid (SIGKILL simulates a crash) and waits for it to exit. */
  async stopAgent(node: SimNode, sig: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.agents.get(node.name);
    if (p) await stopProcess(p, sig);
  }

  /** Waits until `orchard get nodes -o json` shows every given node Ready. */
  async waitNodesReady(nodes: SimNode[] = this.nodes, timeoutMs = 30_000): Promise<void> {
    await waitFor(`nodes ${nodes.map((n) => n.name).join(', ')} to be Ready`, async () => {
      const r = await this.cli(['get', 'nodes', '-o', 'json']);
      if (r.code !== 0) throw new Error(`get nodes failed: ${r.stderr}`);
      const ready = new Set(
        itemsOf(r.stdout)
          .filter((o) => (o.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === 'True'))
          .map((o) => String(o.metadata?.name)),
      );
      return nodes.every((n) => ready.has(n.name));
    }, { timeoutMs, intervalMs: 200 });
  }

  /**
   * The pod as `orchard get pods -o json` lists it, or undefined when it is not listed.
   * (A list, not `get pod NAME`, so that waiting for a deletion does not depend on how
   * the CLI words "not found"; tests check that wording on its own.)
   */
  async getPod(name: string, namespace = 'default'): Promise<Record<string, any> | undefined> {
    const r = await this.cli(['get', 'pods', '-n', namespace, '-o', 'json']);
    if (r.code !== 0) throw new Error(`get pods failed (exit ${r.code}): ${r.stderr}`);
    return itemsOf(r.stdout).find((p) => p.metadata?.name === name);
  }

  /** Waits for the pod to reach a phase; returns the pod. */
  async waitPodPhase(name: string, phase: string, timeoutMs = 30_000): Promise<Record<string, any>> {
    return waitFor(`pod ${name} to be ${phase}`, async () => {
      const p = await this.getPod(name);
      if (!p) throw new Error(`pod ${name} not found`);
      if (p.status?.phase !== phase) throw new Error(`phase ${p.status?.phase ?? '(none)'}`);
      return p;
    }, { timeoutMs, intervalMs: 200 });
  }

  /** Containers the agents made for a pod (by name) on a node's dockerd. */
  podContainers(node: SimNode, podName: string) {
    return containersWithLabel(nodeEngine(node), `${POD_NAME_LABEL}=${podName}`);
  }

  /** Every container the agent owns on a node (any pod). */
  orchardContainers(node: SimNode) {
    return containersWithLabel(nodeEngine(node), POD_UID_LABEL);
  }

  /** Writes a manifest into the run folder and returns its path (for apply -f / delete -f). */
  manifestFile(fileName: string, text: string): string {
    const file = path.join(this.runDir, 'manifests', fileName);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    return file;
  }

  etcdRevision(): Promise<number> {
    return etcdRevision(this.etcd);
  }

  etcdKeys(prefix = '/orchard/registry/'): Promise<string[]> {
    return etcdKeys(this.etcd, prefix);
  }

  etcdctl(args: string[]) {
    return etcdctl(this.etcd, args);
  }

  /** Prints the tail of every process log (for failed tests). */
  dumpLogs(lines = 40): string {
    const procs = [...this.masters.map((m) => m.proc), ...this.agents.values(), ...this.etcd.members.flatMap((m) => (m.proc ? [m.proc] : []))];
    return procs.map((p) => `----- ${p.name} (pid ${p.pid}, ${p.logFile}) -----\n${logTail(p, lines)}`).join('\n');
  }

  /**
   * Deletes every pod through the product and waits for the agents to remove their
   * containers; whatever is still left afterwards is removed directly and reported, so
   * one failing file does not leave containers to the next.
   */
  async deleteAllPods(timeoutMs = 30_000): Promise<string[]> {
    const problems: string[] = [];
    const r = await this.cli(['get', 'pods', '-o', 'json']);
    if (r.code === 0) {
      for (const p of itemsOf(r.stdout)) {
        const name = p.metadata?.name;
        if (!name) continue;
        // --wait=false: a pod whose agent is down cannot be confirmed gone; the container
        // check below is what counts.
        const d = await this.cli(['delete', 'pod', String(name), '--wait=false', ...(p.metadata?.namespace ? ['-n', String(p.metadata.namespace)] : [])]);
        if (d.code !== 0) problems.push(`orchard delete pod ${name}: ${d.stderr.trim()}`);
      }
    } else {
      problems.push(`orchard get pods failed: ${r.stderr.trim()}`);
    }
    for (const node of this.nodes) {
      const gone = await waitFor(`containers of deleted pods to go from ${node.name}`, async () => (await this.orchardContainers(node)).length === 0, { timeoutMs }).catch(() => false);
      if (!gone) {
        const left = await this.orchardContainers(node);
        problems.push(`${node.name}: containers left after deleting pods: ${left.map((c) => `${c.name} (${c.labels[POD_NAME_LABEL]})`).join(', ')}`);
        if (left.length) await docker(nodeEngine(node), ['rm', '-f', ...left.map((c) => c.id)]);
      }
    }
    return problems;
  }

  /** Deletes pods (through the product), then stops agents, masters and etcd. */
  async teardown(): Promise<void> {
    const problems = await this.deleteAllPods().catch((e: Error) => [e.message]);
    await Promise.all([...this.agents.values()].map((p) => stopProcess(p, 'SIGTERM', 5_000)));
    await Promise.all(this.masters.map((m) => stopProcess(m.proc, 'SIGTERM', 5_000)));
    await stopEtcd(this.etcd);
    await killAll();
    if (problems.length) process.stderr.write(`[bed] teardown of ${this.opts.name}:\n  ${problems.join('\n  ')}\n`);
  }
}

/**
 * Starts etcd, the masters and (unless agents: false) one agent per node; waits until the
 * masters listen (not until nodes are Ready: see waitNodesReady).
 */
export async function startCluster(bed: BedFacts, opts: ClusterOptions): Promise<TestCluster> {
  const runDir = path.join(bed.runsDir, `${opts.name}-${Date.now()}`);
  mkdirSync(runDir, { recursive: true });
  const etcd = await startEtcd(runDir, opts.etcdMembers ?? 1);
  const c = new TestCluster(bed, runDir, etcd, opts.nodes ?? bed.nodes, opts);
  try {
    for (let i = 1; i <= (opts.masters ?? 1); i++) await c.startMaster(i);
    await c.createJoinToken();
    if (opts.agents !== false) for (const n of c.nodes) c.startAgent(n);
  } catch (e) {
    await c.teardown().catch(() => undefined);
    throw e;
  }
  return c;
}
