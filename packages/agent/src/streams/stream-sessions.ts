import type { ExecStart, Logger, LogsRequest, StreamInput, StreamOutput } from '@orchard/api/agent';
import type { ContainerRuntime } from '../runtime/container-runtime';
import { SessionRequestError, containerInstances, execInstance, logsInstance } from './container-lookup';
import type { ExecProcess, OutputStream, StreamRuntime } from './stream-runtime';

export interface StreamSessionsDeps {
  runtime: ContainerRuntime;
  streams: StreamRuntime;
  nodeName: string;
  /** Sends on the node stream; false when its buffer is full (resume on drained()). */
  send(out: StreamOutput): boolean;
  logger: Logger;
}

interface Session {
  output?: OutputStream;
  exec?: ExecProcess;
  closed: boolean;
  /** Input that came before the process started. */
  early: Array<NonNullable<StreamInput['input']>>;
}

/**
 * The agent's logs and exec sessions, opened by the master over the node stream. Every
 * session ends with one exit message (with an error when it could not be served), or
 * silently when the master closed it. When the node stream cannot keep up, every
 * session's output is paused until it drains: the stream is shared, so no session may
 * fill the agent's memory.
 */
export class StreamSessions {
  private readonly sessions = new Map<string, Session>();
  private paused = false;

  constructor(private readonly deps: StreamSessionsDeps) {}

  get open(): number {
    return this.sessions.size;
  }

  openLogs(id: string, req: LogsRequest): void {
    const s = this.add(id);
    if (!s) return;
    void (async () => {
      const inst = logsInstance(await this.instances(req.namespace, req.name, req.container), req.name, req.container, req.previous);
      return this.deps.streams.containerLogs(inst.id, {
        follow: req.follow && !req.previous,
        timestamps: req.timestamps,
        tailLines: req.tailLines === undefined || req.tailLines < 0 ? undefined : Number(req.tailLines),
        sinceSeconds: req.sinceSeconds === undefined ? undefined : Number(req.sinceSeconds),
      });
    })().then(
      (out) => this.attach(id, s, out, async () => 0),
      (err: unknown) => this.fail(id, err),
    );
  }

  openExec(id: string, req: ExecStart): void {
    const s = this.add(id);
    if (!s) return;
    void (async () => {
      const inst = execInstance(await this.instances(req.namespace, req.name, req.container), req.name, req.container);
      return this.deps.streams.exec(inst.id, {
        cmd: req.command,
        tty: req.tty,
        stdin: req.stdin,
        size: req.size && req.size.width > 0 ? { width: req.size.width, height: req.size.height } : undefined,
      });
    })().then(
      (proc) => {
        s.exec = proc;
        this.attach(id, s, proc, () => proc.exitCode());
        for (const i of s.early.splice(0)) this.input(id, i);
      },
      (err: unknown) => this.fail(id, err),
    );
  }

  input(id: string, input: NonNullable<StreamInput['input']>): void {
    const s = this.sessions.get(id);
    if (!s) return;
    if (!s.exec) {
      s.early.push(input);
      return;
    }
    switch (input.$case) {
      case 'stdin':
        s.exec.write(input.stdin);
        return;
      case 'stdinClose':
        s.exec.endInput();
        return;
      case 'resize':
        s.exec.resize(input.resize.width, input.resize.height).catch((err: unknown) => this.deps.logger.debug({ err, session: id }, 'resize failed'));
        return;
    }
  }

  /** The master closed the session (its client went away). */
  close(id: string): void {
    const s = this.sessions.get(id);
    if (!s) return;
    s.closed = true;
    this.sessions.delete(id);
    s.output?.close();
  }

  /** The node stream broke: its sessions are gone with it. */
  closeAll(): void {
    for (const id of [...this.sessions.keys()]) this.close(id);
    this.paused = false;
  }

  /** The node stream drained: paused output flows again. */
  drained(): void {
    if (!this.paused) return;
    this.paused = false;
    for (const s of this.sessions.values()) s.output?.resume();
  }

  private add(id: string): Session | undefined {
    if (this.sessions.has(id)) return undefined;
    const s: Session = { closed: false, early: [] };
    this.sessions.set(id, s);
    return s;
  }

  private instances(namespace: string, pod: string, container: string) {
    return containerInstances(this.deps.runtime, this.deps.nodeName, namespace || 'default', pod, container);
  }

  private attach(id: string, s: Session, out: OutputStream, exitCode: () => Promise<number>): void {
    if (s.closed) {
      out.close();
      return;
    }
    s.output = out;
    if (this.paused) out.pause();
    out.onData((c) => {
      if (s.closed) return;
      const ok = this.deps.send(
        c.stream === 'stderr' ? { streamId: id, output: { $case: 'stderr', stderr: c.data } } : { streamId: id, output: { $case: 'stdout', stdout: c.data } },
      );
      if (!ok && !this.paused) {
        this.paused = true;
        for (const other of this.sessions.values()) other.output?.pause();
      }
    });
    out.onEnd((err) => {
      if (s.closed) return;
      if (err) {
        this.fail(id, err);
        return;
      }
      exitCode().then(
        (code) => this.finish(id, code, ''),
        (e: unknown) => this.fail(id, e),
      );
    });
  }

  private fail(id: string, err: unknown): void {
    const known = err instanceof SessionRequestError;
    if (!known) this.deps.logger.warn({ err, session: id }, 'stream session failed');
    this.finish(id, -1, (err as Error).message);
  }

  private finish(id: string, exitCode: number, error: string): void {
    const s = this.sessions.get(id);
    if (!s || s.closed) return;
    this.sessions.delete(id);
    s.closed = true;
    this.deps.send({ streamId: id, output: { $case: 'exit', exit: { exitCode, error } } });
  }
}
