import type { OutputChunk } from './docker-frames';

/** What `orchard logs` asks of the engine for one container. */
export interface LogOptions {
  follow: boolean;
  /** Lines from the end; undefined means all. */
  tailLines?: number;
  timestamps: boolean;
  /** Only output newer than this many seconds. */
  sinceSeconds?: number;
}

/** What `orchard exec` asks of the engine. */
export interface ExecOptions {
  cmd: string[];
  tty: boolean;
  stdin: boolean;
  /** The client's terminal size, applied once the process runs. */
  size?: { width: number; height: number };
}

/** Output flowing from the engine, with flow control. */
export interface OutputStream {
  onData(fn: (chunk: OutputChunk) => void): void;
  /** Called once when the output ends, with the error if it broke. */
  onEnd(fn: (err?: Error) => void): void;
  /** Stops reading from the engine until resume() (the master reads slowly). */
  pause(): void;
  resume(): void;
  /** Stops the stream; onEnd still fires. */
  close(): void;
}

/** A process started in a container. */
export interface ExecProcess extends OutputStream {
  write(data: Buffer): void;
  /** The client's stdin ended. */
  endInput(): void;
  resize(width: number, height: number): Promise<void>;
  /** The process's exit code, once its output has ended. */
  exitCode(): Promise<number>;
}

/**
 * The engine's streaming operations, apart from ContainerRuntime: the pod reconciler
 * never needs them, and a session needs nothing else of the engine but to find the
 * container (ContainerRuntime.listContainers/inspectContainer).
 */
export interface StreamRuntime {
  containerLogs(id: string, opts: LogOptions): Promise<OutputStream>;
  exec(id: string, opts: ExecOptions): Promise<ExecProcess>;
}
