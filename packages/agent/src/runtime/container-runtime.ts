/**
 * The narrow view of a container engine that the agent needs. The pod reconciler only
 * talks to this interface, so unit tests replace the engine with a fake and the Docker
 * specifics (dockerode, API error shapes) stay in docker-runtime.ts.
 */
export interface ContainerRuntime {
  /** Every container (running or not) carrying all of the given labels. */
  listContainers(labels: Readonly<Record<string, string>>): Promise<ContainerSummary[]>;
  /** Throws ContainerNotFoundError when the container is gone. */
  inspectContainer(id: string): Promise<ContainerDetails>;
  /** Creates (does not start) a container and returns its id. */
  createContainer(spec: ContainerCreateSpec): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after timeoutSeconds. A container already stopped is fine. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  /** Removes a container (killing it if still running). A container already gone is fine. */
  removeContainer(id: string): Promise<void>;
  /** Whether the image reference is present in the local image store. */
  imagePresent(ref: string): Promise<boolean>;
  /** Pulls an image; throws ImagePullError carrying the registry's message. */
  pullImage(ref: string, auth?: RegistryAuth): Promise<void>;
  /** Every volume carrying all of the given labels. */
  listVolumes(labels: Readonly<Record<string, string>>): Promise<VolumeSummary[]>;
  /** Removes a volume. A volume already gone is fine. */
  removeVolume(name: string): Promise<void>;
  /**
   * Streams container lifecycle events for containers carrying the given labels until
   * close() is called. onEnd fires once when the stream breaks (for example dockerd
   * restarted), with the error if there was one.
   */
  watchEvents(
    labels: Readonly<Record<string, string>>,
    onEvent: (event: RuntimeEvent) => void,
    onEnd: (err?: Error) => void,
  ): EventSubscription;
  /** Engine version and platform. */
  info(): Promise<EngineInfo>;
  /**
   * Runs a command in a running container and waits for it (probes, lifecycle hooks).
   * Throws ExecTimeoutError when it does not finish within timeoutMs (the command may
   * keep running inside the container: the engine cannot cancel an exec).
   */
  execProbe(containerId: string, cmd: readonly string[], timeoutMs: number): Promise<ExecResult>;
}

/** The end of a command run by execProbe. */
export interface ExecResult {
  exitCode: number;
  /** Standard output and error interleaved, cut at EXEC_OUTPUT_LIMIT bytes. */
  output: string;
}

/** Probe and hook output kept (Kubernetes keeps 10 KiB). */
export const EXEC_OUTPUT_LIMIT = 10 * 1024;

/** Credentials for one registry, as in a dockerconfigjson entry. */
export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

/** Lifecycle state names as the engine reports them. */
export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerSummary {
  id: string;
  /** Without the leading slash Docker adds. */
  name: string;
  image: string;
  labels: Record<string, string>;
  state: ContainerState;
}

export interface ContainerDetails extends ContainerSummary {
  /** The image's content id (sha256:...). */
  imageId: string;
  /** RFC 3339 with sub-second precision as the engine writes it. */
  createdAt: string;
  /** Empty when the container never started. */
  startedAt: string;
  /** Empty when the container never finished. */
  finishedAt: string;
  exitCode: number;
  oomKilled: boolean;
  /** The engine's error for a container it could not start ("executable file not found"). */
  error: string;
  /** The container's address on its network, empty when it has none of its own. */
  ipAddress: string;
}

export interface VolumeSummary {
  name: string;
  labels: Record<string, string>;
}

/** A filesystem mounted into a container. */
export type MountSpec =
  /** A host path (created as a directory when missing, as Docker's binds do). */
  | { type: 'bind'; source: string; target: string; readOnly: boolean }
  /** A named Docker volume, created with these labels (and on tmpfs) when missing. */
  | { type: 'volume'; source: string; target: string; readOnly: boolean; labels?: Record<string, string>; tmpfs?: boolean };

/** A port of the container published on the node. */
export interface PortBinding {
  containerPort: number;
  /** tcp, udp or sctp. */
  protocol: string;
  hostPort: number;
  hostIp: string;
}

/**
 * What the agent asks the engine to create. Field names and units follow the Docker
 * API (Entrypoint/Cmd, NanoCpus, CpuShares, Memory in bytes) so the mapping from a pod
 * spec is explicit in one pure function (pods/container-config.ts).
 */
export interface ContainerCreateSpec {
  name: string;
  image: string;
  labels: Record<string, string>;
  /** Undefined keeps the image's ENTRYPOINT. */
  entrypoint?: string[];
  /** Undefined keeps the image's CMD. */
  cmd?: string[];
  env: string[];
  workingDir?: string;
  hostname?: string;
  /** "bridge" (Docker's default network) or "container:<id>" to join another's namespaces. */
  networkMode: string;
  /** Exposed ports as "80/tcp". */
  exposedPorts: string[];
  portBindings: PortBinding[];
  nanoCpus?: number;
  cpuShares?: number;
  memoryBytes?: number;
  /** "uid" or "uid:gid". */
  user?: string;
  /** Supplementary groups. */
  groupAdd?: string[];
  privileged?: boolean;
  readOnlyRootfs?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  /** Docker security options ("no-new-privileges"). */
  securityOpt?: string[];
  mounts?: MountSpec[];
}

export type RuntimeEventAction = 'create' | 'start' | 'die' | 'oom' | 'stop' | 'kill' | 'destroy';

export interface RuntimeEvent {
  action: RuntimeEventAction | string;
  containerId: string;
  labels: Record<string, string>;
  /** Milliseconds since the epoch. */
  time: number;
}

export interface EventSubscription {
  close(): void;
}

export interface EngineInfo {
  /** "20.10.24+dfsg1" as the engine reports it. */
  version: string;
  apiVersion: string;
  operatingSystem: string;
  /** The engine's architecture naming (x86_64, aarch64, armv7l). */
  architecture: string;
  kernelVersion: string;
  /** "1" or "2". */
  cgroupVersion: string;
  cgroupDriver: string;
}
