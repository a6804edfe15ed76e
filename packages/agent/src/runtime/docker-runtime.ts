import Docker from 'dockerode';
import type {
  ContainerCreateSpec,
  ContainerDetails,
  ContainerRuntime,
  ContainerState,
  ContainerSummary,
  EngineInfo,
  ExecResult,
  EventSubscription,
  RegistryAuth,
  RuntimeEvent,
  VolumeSummary,
} from './container-runtime';
import { EXEC_OUTPUT_LIMIT } from './container-runtime';
import {
  ContainerNotFoundError,
  ExecTimeoutError,
  ImagePullError,
  RuntimeConflictError,
  RuntimeError,
  RuntimeUnavailableError,
} from './errors';

/** Docker engine API errors as dockerode raises them. */
interface DockerodeError {
  statusCode?: number;
  code?: string;
  json?: { message?: string } | null;
  reason?: string;
  message?: string;
}

/**
 * Converts an engine error into a typed RuntimeError whose message names what was
 * attempted. The engine's own message is kept because it is what a user can act on.
 */
export function toRuntimeError(what: string, err: unknown): RuntimeError {
  if (err instanceof RuntimeError) return err;
  const e = (err ?? {}) as DockerodeError;
  // dockerode prefixes "(HTTP code 500) server error - "; the engine's text is what counts.
  const detail = (e.json?.message || e.message || String(err)).replace(/^\(HTTP code \d+\) [^-]*- /, '');
  const message = `${what}: ${detail.trim()}`;
  if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED' || e.code === 'EACCES' || e.code === 'ECONNRESET') {
    return new RuntimeUnavailableError(message, undefined, { cause: err });
  }
  switch (e.statusCode) {
    case 404:
      return new ContainerNotFoundError(message, 404, { cause: err });
    case 409:
      return new RuntimeConflictError(message, 409, { cause: err });
    default:
      return new RuntimeError(message, e.statusCode, { cause: err });
  }
}

function labelFilter(labels: Readonly<Record<string, string>>): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}

/** The ContainerRuntime on a Docker engine (API 1.41, Debian's docker.io 20.10 and later). */
export class DockerRuntime implements ContainerRuntime {
  private readonly docker: Docker;

  constructor(socketPath: string) {
    this.docker = new Docker({ socketPath });
  }

  async listContainers(labels: Readonly<Record<string, string>>): Promise<ContainerSummary[]> {
    try {
      const list = await this.docker.listContainers({ all: true, filters: { label: labelFilter(labels) } });
      return list.map((c) => ({
        id: c.Id,
        name: (c.Names[0] ?? '').replace(/^\//, ''),
        image: c.Image,
        labels: c.Labels ?? {},
        state: c.State as ContainerState,
      }));
    } catch (err) {
      throw toRuntimeError('failed to list containers', err);
    }
  }

  async inspectContainer(id: string): Promise<ContainerDetails> {
    try {
      const c = await this.docker.getContainer(id).inspect();
      const never = (t: string | undefined) => (!t || t.startsWith('0001-01-01') ? '' : t);
      return {
        id: c.Id,
        name: c.Name.replace(/^\//, ''),
        image: c.Config.Image,
        imageId: c.Image,
        labels: c.Config.Labels ?? {},
        state: c.State.Status as ContainerState,
        createdAt: c.Created,
        startedAt: never(c.State.StartedAt),
        finishedAt: never(c.State.FinishedAt),
        exitCode: c.State.ExitCode,
        oomKilled: c.State.OOMKilled,
        error: c.State.Error ?? '',
        ipAddress: c.NetworkSettings?.IPAddress ?? '',
      };
    } catch (err) {
      throw toRuntimeError(`failed to inspect container ${id}`, err);
    }
  }

  async createContainer(spec: ContainerCreateSpec): Promise<string> {
    const exposed: Record<string, object> = {};
    for (const p of spec.exposedPorts) exposed[p] = {};
    const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
    for (const b of spec.portBindings) {
      const key = `${b.containerPort}/${b.protocol}`;
      exposed[key] = {};
      (bindings[key] ??= []).push({ HostIp: b.hostIp, HostPort: String(b.hostPort) });
    }
    const binds = (spec.mounts ?? []).flatMap((m) => (m.type === 'bind' ? [`${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`] : []));
    const mounts = (spec.mounts ?? []).flatMap((m) =>
      m.type === 'volume'
        ? [
            {
              Type: 'volume' as const,
              Source: m.source,
              Target: m.target,
              ReadOnly: m.readOnly,
              VolumeOptions: {
                NoCopy: false,
                Labels: m.labels ?? {},
                DriverConfig: { Name: 'local', Options: (m.tmpfs ? { type: 'tmpfs', device: 'tmpfs' } : {}) as Record<string, string> },
              },
            },
          ]
        : [],
    );
    try {
      const c = await this.docker.createContainer({
        name: spec.name,
        Image: spec.image,
        Labels: spec.labels,
        Entrypoint: spec.entrypoint,
        Cmd: spec.cmd,
        Env: spec.env,
        WorkingDir: spec.workingDir,
        Hostname: spec.hostname,
        User: spec.user,
        ExposedPorts: exposed,
        HostConfig: {
          NetworkMode: spec.networkMode,
          PortBindings: bindings,
          NanoCpus: spec.nanoCpus,
          CpuShares: spec.cpuShares,
          Memory: spec.memoryBytes,
          // Without swap accounting Docker ignores this; with it, a limit means no swap,
          // as in Kubernetes.
          MemorySwap: spec.memoryBytes,
          GroupAdd: spec.groupAdd,
          Privileged: spec.privileged,
          ReadonlyRootfs: spec.readOnlyRootfs,
          CapAdd: spec.capAdd,
          CapDrop: spec.capDrop,
          SecurityOpt: spec.securityOpt,
          // Binds (not Mounts) for host paths: Docker creates a missing directory, as
          // hostPath type DirectoryOrCreate (and the unchecked default) expect.
          Binds: binds.length > 0 ? binds : undefined,
          Mounts: mounts.length > 0 ? mounts : undefined,
          // The agent restarts containers itself (restart policy, back-off, status).
          RestartPolicy: { Name: 'no' },
        },
      });
      return c.id;
    } catch (err) {
      throw toRuntimeError(`failed to create container ${spec.name}`, err);
    }
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (err) {
      // 304: already running.
      if ((err as DockerodeError).statusCode === 304) return;
      throw toRuntimeError(`failed to start container ${id}`, err);
    }
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop({ t: Math.max(0, Math.floor(timeoutSeconds)) });
    } catch (err) {
      // 304: already stopped; 404: already gone. Both are the state we want.
      const code = (err as DockerodeError).statusCode;
      if (code === 304 || code === 404) return;
      throw toRuntimeError(`failed to stop container ${id}`, err);
    }
  }

  async removeContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      const e = err as DockerodeError;
      // 404: already gone. 409 "removal already in progress": someone else is doing it.
      if (e.statusCode === 404) return;
      if (e.statusCode === 409 && /already in progress/.test(e.json?.message ?? e.message ?? '')) return;
      throw toRuntimeError(`failed to remove container ${id}`, err);
    }
  }

  async imagePresent(ref: string): Promise<boolean> {
    try {
      await this.docker.getImage(ref).inspect();
      return true;
    } catch (err) {
      if ((err as DockerodeError).statusCode === 404) return false;
      throw toRuntimeError(`failed to inspect image ${ref}`, err);
    }
  }

  async pullImage(ref: string, auth?: RegistryAuth): Promise<void> {
    try {
      const stream: NodeJS.ReadableStream = await this.docker.pull(ref, auth ? { authconfig: auth } : {});
      await new Promise<void>((resolve, reject) => {
        // Registry errors arrive inside the progress stream, not as an HTTP status.
        this.docker.modem.followProgress(stream, (err: Error | null, output: Array<{ error?: string }>) => {
          const failed = output?.find((o) => o.error);
          if (err) reject(err);
          else if (failed) reject(new Error(failed.error));
          else resolve();
        });
      });
    } catch (err) {
      const e = toRuntimeError(`failed to pull image ${ref}`, err);
      throw new ImagePullError(e.message, e.statusCode, { cause: err });
    }
  }

  async listVolumes(labels: Readonly<Record<string, string>>): Promise<VolumeSummary[]> {
    try {
      const res = await this.docker.listVolumes({ filters: { label: labelFilter(labels) } });
      return (res.Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} }));
    } catch (err) {
      throw toRuntimeError('failed to list volumes', err);
    }
  }

  async removeVolume(name: string): Promise<void> {
    try {
      await this.docker.getVolume(name).remove();
    } catch (err) {
      if ((err as DockerodeError).statusCode === 404) return;
      throw toRuntimeError(`failed to remove volume ${name}`, err);
    }
  }

  watchEvents(
    labels: Readonly<Record<string, string>>,
    onEvent: (event: RuntimeEvent) => void,
    onEnd: (err?: Error) => void,
  ): EventSubscription {
    let closed = false;
    let stream: NodeJS.ReadableStream & { destroy?: () => void } | undefined;
    let ended = false;
    const end = (err?: Error) => {
      if (ended || closed) return;
      ended = true;
      onEnd(err);
    };
    this.docker
      .getEvents({ filters: { type: ['container'], label: labelFilter(labels) } })
      .then((s) => {
        stream = s as typeof stream;
        if (closed) {
          stream?.destroy?.();
          return;
        }
        let buffered = '';
        s.on('data', (chunk: Buffer) => {
          buffered += chunk.toString('utf8');
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, nl).trim();
            buffered = buffered.slice(nl + 1);
            if (!line) continue;
            const ev = parseEvent(line);
            if (ev) onEvent(ev);
          }
        });
        s.on('error', (err: Error) => end(toRuntimeError('docker event stream failed', err)));
        s.on('end', () => end());
        s.on('close', () => end());
      })
      .catch((err) => end(toRuntimeError('failed to subscribe to docker events', err)));
    return {
      close() {
        closed = true;
        stream?.destroy?.();
      },
    };
  }

  async execProbe(containerId: string, cmd: readonly string[], timeoutMs: number): Promise<ExecResult> {
    let stream: (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const run = async (): Promise<ExecResult> => {
      const exec = await this.docker.getContainer(containerId).exec({ Cmd: [...cmd], AttachStdout: true, AttachStderr: true, Tty: false });
      stream = (await exec.start({ hijack: true, stdin: false })) as typeof stream;
      const output = await readMultiplexed(stream!);
      const info = await exec.inspect();
      return { exitCode: info.ExitCode ?? -1, output };
    };
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ExecTimeoutError(`command ${JSON.stringify(cmd)} in container ${containerId} timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([run(), timeout]);
    } catch (err) {
      if (err instanceof ExecTimeoutError) throw err;
      throw toRuntimeError(`failed to run ${JSON.stringify(cmd)} in container ${containerId}`, err);
    } finally {
      clearTimeout(timer);
      // A command that outlived its timeout keeps running; the agent stops listening.
      stream?.destroy?.();
    }
  }

  async info(): Promise<EngineInfo> {
    try {
      const [version, info] = await Promise.all([this.docker.version(), this.docker.info()]);
      return {
        version: version.Version,
        apiVersion: version.ApiVersion,
        operatingSystem: info.OperatingSystem ?? '',
        architecture: info.Architecture ?? '',
        kernelVersion: info.KernelVersion ?? '',
        cgroupVersion: String(info.CgroupVersion ?? ''),
        cgroupDriver: info.CgroupDriver ?? '',
      };
    } catch (err) {
      throw toRuntimeError('failed to read docker engine info', err);
    }
  }
}

/** Parses one line of the engine's event stream; undefined for lines it cannot use. */
export function parseEvent(line: string): RuntimeEvent | undefined {
  try {
    const raw = JSON.parse(line) as {
      Type?: string;
      Action?: string;
      status?: string;
      id?: string;
      Actor?: { ID?: string; Attributes?: Record<string, string> };
      time?: number;
      timeNano?: number;
    };
    if (raw.Type && raw.Type !== 'container') return undefined;
    const action = (raw.Action ?? raw.status ?? '').split(':')[0];
    const containerId = raw.Actor?.ID ?? raw.id ?? '';
    if (!action || !containerId) return undefined;
    const time = raw.timeNano ? Math.floor(raw.timeNano / 1e6) : (raw.time ?? 0) * 1000;
    return { action, containerId, labels: raw.Actor?.Attributes ?? {}, time };
  } catch {
    return undefined;
  }
}

/**
 * Reads an exec's attached output to its end. Without a TTY the engine frames stdout and
 * stderr: an 8-byte header (stream, 0, 0, 0, payload length big-endian), then the payload.
 */
function readMultiplexed(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let pending = Buffer.alloc(0);
    const payload: Buffer[] = [];
    let kept = 0;
    stream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 8) {
        const size = pending.readUInt32BE(4);
        if (pending.length < 8 + size) break;
        if (kept < EXEC_OUTPUT_LIMIT) {
          const part = pending.subarray(8, 8 + Math.min(size, EXEC_OUTPUT_LIMIT - kept));
          payload.push(Buffer.from(part));
          kept += part.length;
        }
        pending = pending.subarray(8 + size);
      }
    });
    stream.on('error', reject);
    stream.on('end', () => resolve(Buffer.concat(payload).toString('utf8')));
    stream.on('close', () => resolve(Buffer.concat(payload).toString('utf8')));
  });
}
