/**
 * Typed errors of the container runtime. docker-runtime.ts converts every engine error
 * into one of these once, so callers decide by class (retry, report, ignore) and the
 * message always names the operation and the object.
 */
export class RuntimeError extends Error {
  constructor(
    message: string,
    /** The engine's HTTP status when there was one. */
    readonly statusCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The container (or image) does not exist. */
export class ContainerNotFoundError extends RuntimeError {}

/** The request conflicts with the object's state (name in use, container running, ...). */
export class RuntimeConflictError extends RuntimeError {}

/** The engine cannot be reached (socket missing, permission denied, daemon down). */
export class RuntimeUnavailableError extends RuntimeError {}

/** Pulling an image failed; the message carries the registry's answer. */
export class ImagePullError extends RuntimeError {}

/** A command run in a container did not finish in time. */
export class ExecTimeoutError extends RuntimeError {}
