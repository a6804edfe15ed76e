import type { Clock } from '@orchard/api/agent';
import type {
  ContainerCreateSpec,
  ContainerDetails,
  ContainerRuntime,
  ContainerSummary,
  EngineInfo,
  EventSubscription,
  ExecResult,
  RuntimeEvent,
  VolumeSummary,
} from './container-runtime';
import { ContainerNotFoundError, ExecTimeoutError, ImagePullError, RuntimeConflictError, RuntimeError } from './errors';

/** One container of the fake engine, with the spec it was created from. */
export interface FakeContainer extends ContainerDetails {
  spec: ContainerCreateSpec;
}

/**
 * An in-memory ContainerRuntime for unit tests. It behaves like Docker where the agent
 * depends on it (unique names, start errors kept on the container, events for start and
 * die) and records every call so tests can assert what the agent did.
 */
export class FakeRuntime implements ContainerRuntime {
  readonly containers = new Map<string, FakeContainer>();
  /** Named volumes, created when a container mounts them (as Docker does). */
  readonly volumes = new Map<string, Record<string, string>>();
  readonly images = new Set<string>();
  /** Images whose pull fails with the given message. */
  readonly pullFailures = new Map<string, string>();
  /** Images whose containers fail to start with the given message. */
  readonly startFailures = new Map<string, string>();
  /** Host ports already taken on the node. */
  readonly takenHostPorts = new Set<number>();
  readonly calls: string[] = [];
  /** How many times containers were inspected (reads are not in calls). */
  inspections = 0;
  private readonly subscribers = new Set<(e: RuntimeEvent) => void>();
  private readonly enders = new Map<(e: RuntimeEvent) => void, (err?: Error) => void>();
  /** When true, a create of an image not in `images` fails as Docker's does ("No such image"). */
  requireImages = false;
  /** While true, state changes emit no events (a stream that is down). */
  silent = false;
  private nextId = 1;
  private nextIp = 2;

  constructor(private readonly clock: Clock) {}

  private iso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  private get(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (!c) throw new ContainerNotFoundError(`no such container: ${id}`, 404);
    return c;
  }

  private emit(action: string, c: FakeContainer): void {
    if (this.silent) return;
    for (const s of this.subscribers) s({ action, containerId: c.id, labels: c.labels, time: this.clock.now() });
  }

  async listContainers(labels: Readonly<Record<string, string>>): Promise<ContainerSummary[]> {
    return [...this.containers.values()]
      .filter((c) => Object.entries(labels).every(([k, v]) => c.labels[k] === v))
      .map(({ id, name, image, labels: l, state }) => ({ id, name, image, labels: { ...l }, state }));
  }

  async inspectContainer(id: string): Promise<ContainerDetails> {
    this.inspections++;
    const { spec: _spec, ...details } = this.get(id);
    return { ...details, labels: { ...details.labels } };
  }

  async createContainer(spec: ContainerCreateSpec): Promise<string> {
    this.calls.push(`create ${spec.name}`);
    if ([...this.containers.values()].some((c) => c.name === spec.name)) {
      throw new RuntimeConflictError(`failed to create container ${spec.name}: name already in use`, 409);
    }
    if (this.requireImages && !this.images.has(spec.image)) {
      throw new ContainerNotFoundError(`failed to create container ${spec.name}: No such image: ${spec.image}`, 404);
    }
    if (spec.memoryBytes !== undefined && spec.memoryBytes < 6 * 1024 * 1024) {
      throw new RuntimeError(`failed to create container ${spec.name}: Minimum memory limit allowed is 6MB`, 400);
    }
    for (const m of spec.mounts ?? []) {
      if (m.type === 'volume' && !this.volumes.has(m.source)) this.volumes.set(m.source, { ...(m.labels ?? {}) });
    }
    const id = `c${String(this.nextId++).padStart(63, '0')}`;
    this.containers.set(id, {
      id,
      name: spec.name,
      image: spec.image,
      imageId: `sha256:${spec.image}`,
      labels: { ...spec.labels },
      state: 'created',
      createdAt: this.iso(),
      startedAt: '',
      finishedAt: '',
      exitCode: 0,
      oomKilled: false,
      error: '',
      ipAddress: '',
      spec,
    });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const c = this.get(id);
    this.calls.push(`start ${c.name}`);
    const failure = this.startFailures.get(c.image);
    const port = c.spec.portBindings.find((b) => this.takenHostPorts.has(b.hostPort));
    if (failure || port) {
      const message = failure ?? `driver failed programming external connectivity: Bind for 0.0.0.0:${port!.hostPort} failed: port is already allocated`;
      c.error = message;
      c.exitCode = 128;
      throw new RuntimeError(`failed to start container ${id}: ${message}`, 500);
    }
    c.state = 'running';
    c.startedAt = this.iso();
    c.finishedAt = '';
    c.error = '';
    if (c.spec.networkMode === 'bridge') c.ipAddress = `172.17.0.${this.nextIp++}`;
    for (const b of c.spec.portBindings) this.takenHostPorts.add(b.hostPort);
    this.emit('start', c);
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    this.calls.push(`stop ${c.name} t=${timeoutSeconds}`);
    if (c.state === 'running') this.exit(c, 137);
  }

  async removeContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) return;
    this.calls.push(`remove ${c.name}`);
    if (c.state === 'running') this.exit(c, 137);
    this.containers.delete(id);
    this.emit('destroy', c);
  }

  async listVolumes(labels: Readonly<Record<string, string>>): Promise<VolumeSummary[]> {
    return [...this.volumes]
      .filter(([, l]) => Object.entries(labels).every(([k, v]) => l[k] === v))
      .map(([name, l]) => ({ name, labels: { ...l } }));
  }

  async removeVolume(name: string): Promise<void> {
    if (!this.volumes.has(name)) return;
    if ([...this.containers.values()].some((c) => c.spec.mounts?.some((m) => m.source === name))) {
      throw new RuntimeConflictError(`failed to remove volume ${name}: volume is in use`, 409);
    }
    this.calls.push(`remove volume ${name}`);
    this.volumes.delete(name);
  }

  async imagePresent(ref: string): Promise<boolean> {
    this.calls.push(`image ${ref}`);
    return this.images.has(ref);
  }

  async pullImage(ref: string): Promise<void> {
    this.calls.push(`pull ${ref}`);
    const failure = this.pullFailures.get(ref);
    if (failure) throw new ImagePullError(`failed to pull image ${ref}: ${failure}`, 500);
    this.images.add(ref);
  }

  watchEvents(
    _labels: Readonly<Record<string, string>>,
    onEvent: (event: RuntimeEvent) => void,
    onEnd: (err?: Error) => void,
  ): EventSubscription {
    this.subscribers.add(onEvent);
    this.enders.set(onEvent, onEnd);
    return {
      close: () => {
        this.subscribers.delete(onEvent);
        this.enders.delete(onEvent);
      },
    };
  }

  /** Breaks every event stream, as a dockerd restart does. */
  breakEventStreams(err = new Error('EOF')): void {
    const enders = [...this.enders.values()];
    this.subscribers.clear();
    this.enders.clear();
    for (const end of enders) end(err);
  }

  /** How many event streams are open. */
  get eventStreams(): number {
    return this.subscribers.size;
  }

  async info(): Promise<EngineInfo> {
    return {
      version: '20.10.24+dfsg1',
      apiVersion: '1.41',
      operatingSystem: 'Debian GNU/Linux 12 (bookworm)',
      architecture: 'x86_64',
      kernelVersion: '6.1.0',
      cgroupVersion: '1',
      cgroupDriver: 'cgroupfs',
    };
  }

  /**
   * Answers execProbe: by default every command exits 0. A handler returning
   * 'timeout' makes the call fail as an exec that outlived its timeout.
   */
  execHandler: (c: FakeContainer, cmd: readonly string[]) => ExecResult | 'timeout' = () => ({ exitCode: 0, output: '' });

  async execProbe(containerId: string, cmd: readonly string[], timeoutMs: number): Promise<ExecResult> {
    const c = this.get(containerId);
    this.calls.push(`exec ${c.name} ${cmd.join(' ')}`);
    if (c.state !== 'running') throw new RuntimeConflictError(`container ${containerId} is not running`, 409);
    const r = this.execHandler(c, cmd);
    if (r === 'timeout') throw new ExecTimeoutError(`command ${JSON.stringify(cmd)} in container ${containerId} timed out after ${timeoutMs} ms`);
    return r;
  }

  /** Makes a running container exit as if its process ended. */
  crash(id: string, exitCode: number): void {
    const c = this.get(id);
    this.exit(c, exitCode);
  }

  private exit(c: FakeContainer, exitCode: number): void {
    c.state = 'exited';
    c.exitCode = exitCode;
    c.finishedAt = this.iso();
    for (const b of c.spec.portBindings) this.takenHostPorts.delete(b.hostPort);
    this.emit('die', c);
  }

  /** Containers whose labels include all of the given ones. */
  find(labels: Record<string, string>): FakeContainer[] {
    return [...this.containers.values()].filter((c) => Object.entries(labels).every(([k, v]) => c.labels[k] === v));
  }
}
