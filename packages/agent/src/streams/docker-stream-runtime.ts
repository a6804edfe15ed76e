import type { Duplex, Readable } from 'node:stream';
import Docker from 'dockerode';
import { toRuntimeError } from '../runtime/docker-runtime';
import { DockerFrameDemuxer, type OutputChunk } from './docker-frames';
import type { ExecOptions, ExecProcess, LogOptions, OutputStream, StreamRuntime } from './stream-runtime';

/** Largest piece of a finished log sent as one message. */
const CHUNK_BYTES = 32 * 1024;
/** How long Docker may take to record an exec's exit after its output ended. */
const EXIT_WAIT_MS = 5_000;

/**
 * Engine output as an OutputStream: a multiplexed stream (no TTY) is split into stdout
 * and stderr; a TTY stream is all stdout.
 */
class EngineOutput implements OutputStream {
  private readonly demux = new DockerFrameDemuxer();
  private readonly dataFns: Array<(c: OutputChunk) => void> = [];
  private readonly endFns: Array<(err?: Error) => void> = [];
  private ended = false;
  private endErr: Error | undefined;

  constructor(
    protected readonly source: Readable | Duplex,
    multiplexed: boolean,
  ) {
    source.on('data', (b: Buffer) => {
      const chunks = multiplexed ? this.demux.push(b) : [{ stream: 'stdout' as const, data: b }];
      for (const c of chunks) for (const fn of this.dataFns) fn(c);
    });
    source.on('end', () => this.finish());
    source.on('close', () => this.finish());
    source.on('error', (err: Error) => this.finish(err));
  }

  private finish(err?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.endErr = err;
    for (const fn of this.endFns) fn(err);
  }

  onData(fn: (c: OutputChunk) => void): void {
    this.dataFns.push(fn);
  }

  onEnd(fn: (err?: Error) => void): void {
    if (this.ended) fn(this.endErr);
    else this.endFns.push(fn);
  }

  pause(): void {
    this.source.pause();
  }

  resume(): void {
    this.source.resume();
  }

  close(): void {
    this.source.destroy();
    this.finish();
  }
}

/** A finished log (Docker answers a non-following request with one buffer) as an OutputStream. */
class BufferedOutput implements OutputStream {
  private readonly dataFns: Array<(c: OutputChunk) => void> = [];
  private readonly endFns: Array<(err?: Error) => void> = [];
  private chunks: OutputChunk[];
  private paused = false;
  private ended = false;
  private scheduled = false;

  constructor(chunks: OutputChunk[]) {
    this.chunks = chunks.flatMap((c) => split(c));
  }

  onData(fn: (c: OutputChunk) => void): void {
    this.dataFns.push(fn);
    this.schedule();
  }

  onEnd(fn: (err?: Error) => void): void {
    if (this.ended) fn();
    else this.endFns.push(fn);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.schedule();
  }

  close(): void {
    this.chunks = [];
    this.end();
  }

  /** Emits on a later tick so the listeners of the caller are all in place. */
  private schedule(): void {
    if (this.scheduled || this.ended) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (!this.paused && this.chunks.length > 0) {
        const c = this.chunks.shift()!;
        for (const fn of this.dataFns) fn(c);
      }
      if (this.chunks.length === 0) this.end();
    });
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const fn of this.endFns) fn();
  }
}

function split(c: OutputChunk): OutputChunk[] {
  const out: OutputChunk[] = [];
  for (let i = 0; i < c.data.length; i += CHUNK_BYTES) out.push({ stream: c.stream, data: c.data.subarray(i, i + CHUNK_BYTES) });
  return out;
}

class EngineExec extends EngineOutput implements ExecProcess {
  constructor(
    private readonly exec: Docker.Exec,
    private readonly socket: Duplex,
    tty: boolean,
  ) {
    super(socket, !tty);
  }

  write(data: Buffer): void {
    this.socket.write(data);
  }

  endInput(): void {
    // A half-close: Docker passes EOF to the process and keeps its output coming.
    this.socket.end();
  }

  async resize(width: number, height: number): Promise<void> {
    if (width <= 0 || height <= 0) return;
    await this.exec.resize({ w: width, h: height });
  }

  async exitCode(): Promise<number> {
    const deadline = Date.now() + EXIT_WAIT_MS;
    for (;;) {
      const info = await this.exec.inspect();
      if (!info.Running) return info.ExitCode ?? 0;
      if (Date.now() > deadline) throw new Error('the command is still running after its output ended');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** StreamRuntime on a Docker engine (dockerode, on the node's socket). */
export class DockerStreamRuntime implements StreamRuntime {
  private readonly docker: Docker;

  constructor(socketPath: string) {
    this.docker = new Docker({ socketPath });
  }

  async containerLogs(id: string, opts: LogOptions): Promise<OutputStream> {
    const container = this.docker.getContainer(id);
    const base = {
      stdout: true,
      stderr: true,
      timestamps: opts.timestamps,
      // Docker's default is every line.
      ...(opts.tailLines === undefined ? {} : { tail: opts.tailLines }),
      since: opts.sinceSeconds === undefined ? 0 : Math.floor(Date.now() / 1000) - opts.sinceSeconds,
    };
    try {
      if (opts.follow) {
        const stream = await container.logs({ ...base, follow: true });
        return new EngineOutput(stream as Readable, true);
      }
      const buf = await container.logs({ ...base, follow: false });
      return new BufferedOutput(new DockerFrameDemuxer().push(buf));
    } catch (err) {
      throw toRuntimeError(`failed to read logs of container ${id}`, err);
    }
  }

  async exec(id: string, opts: ExecOptions): Promise<ExecProcess> {
    try {
      const exec = await this.docker.getContainer(id).exec({
        Cmd: opts.cmd,
        AttachStdin: opts.stdin,
        AttachStdout: true,
        AttachStderr: true,
        Tty: opts.tty,
      });
      const socket = (await exec.start({ hijack: true, stdin: opts.stdin, Tty: opts.tty })) as Duplex;
      const proc = new EngineExec(exec, socket, opts.tty);
      if (opts.tty && opts.size) await proc.resize(opts.size.width, opts.size.height).catch(() => undefined);
      return proc;
    } catch (err) {
      throw toRuntimeError(`failed to exec in container ${id}`, err);
    }
  }
}
