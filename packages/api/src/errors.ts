import { status as GrpcStatus, Metadata, type ServiceError } from '@grpc/grpc-js';

/**
 * Typed errors of the API. Each maps to one gRPC status code at the boundary
 * (toServiceError on the server, fromServiceError on the client), so callers test for a
 * class instead of parsing messages.
 */
export class OrchardError extends Error {
  readonly code: GrpcStatus = GrpcStatus.UNKNOWN;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One problem with one field, phrased like Kubernetes field errors. */
export interface FieldError {
  /** Path of the field, e.g. "spec.containers[0].image". */
  readonly field: string;
  /** "Required value", "Invalid value", "Unsupported value", "Unknown field", "Duplicate value", "Forbidden". */
  readonly type: string;
  readonly detail?: string;
  readonly value?: unknown;
}

/** Formats a field error like Kubernetes: `spec.containers[0].image: Required value`. */
export function formatFieldError(e: FieldError): string {
  if (e.type === 'Unknown field') return `unknown field "${e.field}"`;
  let s = `${e.field}: ${e.type}`;
  if (e.value !== undefined && e.type !== 'Required value') s += `: ${JSON.stringify(e.value)}`;
  if (e.detail) s += `: ${e.detail}`;
  return s;
}

/** An object failed validation; nothing was written. */
export class InvalidError extends OrchardError {
  override readonly code = GrpcStatus.INVALID_ARGUMENT;
  constructor(
    readonly kind: string,
    readonly objectName: string,
    readonly errors: readonly FieldError[],
  ) {
    super(
      `${kind}${objectName ? ` "${objectName}"` : ''} is invalid: ${errors.map(formatFieldError).join(', ')}`,
    );
  }
}

/** Input that is not even an object of a known shape (malformed YAML, missing kind). */
export class BadRequestError extends OrchardError {
  override readonly code = GrpcStatus.INVALID_ARGUMENT;
}

export class UnknownKindError extends OrchardError {
  override readonly code = GrpcStatus.INVALID_ARGUMENT;
  constructor(readonly kindName: string) {
    super(`the server doesn't have a resource type "${kindName}"`);
  }
}

export class NotFoundError extends OrchardError {
  override readonly code = GrpcStatus.NOT_FOUND;
  constructor(plural: string, name: string) {
    super(`${plural} "${name}" not found`);
  }
}

export class AlreadyExistsError extends OrchardError {
  override readonly code = GrpcStatus.ALREADY_EXISTS;
  constructor(plural: string, name: string) {
    super(`${plural} "${name}" already exists`);
  }
}

/** An update carried a stale resourceVersion; nothing was overwritten. */
export class ConflictError extends OrchardError {
  override readonly code = GrpcStatus.ABORTED;
  constructor(plural: string, name: string) {
    super(
      `Operation cannot be fulfilled on ${plural} "${name}": the object has been modified; ` +
        'please apply your changes to the latest version and try again',
    );
  }
}

/** This master does not lead (or no longer does); a leader-only write was refused. */
export class NotLeaderError extends OrchardError {
  override readonly code = GrpcStatus.FAILED_PRECONDITION;
}

/** etcd (or the master) cannot serve the request now; retrying later can succeed. */
export class UnavailableError extends OrchardError {
  override readonly code = GrpcStatus.UNAVAILABLE;
}

export class UnauthenticatedError extends OrchardError {
  override readonly code = GrpcStatus.UNAUTHENTICATED;
}

export class ForbiddenError extends OrchardError {
  override readonly code = GrpcStatus.PERMISSION_DENIED;
}

/** Converts any error to a gRPC ServiceError for a server handler's callback. */
export function toServiceError(err: unknown): Partial<ServiceError> {
  if (err instanceof OrchardError) {
    return { code: err.code, details: err.message, message: err.message, metadata: new Metadata() };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: GrpcStatus.INTERNAL, details: `internal error: ${message}`, metadata: new Metadata() };
}

/** Converts a gRPC error received by a client back to a typed error with a readable message. */
export function fromServiceError(err: unknown): OrchardError {
  if (err instanceof OrchardError) return err;
  const e = err as Partial<ServiceError>;
  const details = e.details || e.message || String(err);
  const wrap = (C: new (m: string, o?: { cause?: unknown }) => OrchardError) => new C(details, { cause: err });
  switch (e.code) {
    case GrpcStatus.INVALID_ARGUMENT:
      return wrap(BadRequestError);
    case GrpcStatus.NOT_FOUND:
      return Object.assign(wrap(OrchardError), { code: GrpcStatus.NOT_FOUND });
    case GrpcStatus.ALREADY_EXISTS:
      return Object.assign(wrap(OrchardError), { code: GrpcStatus.ALREADY_EXISTS });
    case GrpcStatus.ABORTED:
      return Object.assign(wrap(OrchardError), { code: GrpcStatus.ABORTED });
    case GrpcStatus.FAILED_PRECONDITION:
      return wrap(NotLeaderError);
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.DEADLINE_EXCEEDED:
      return wrap(UnavailableError);
    case GrpcStatus.UNAUTHENTICATED:
      return wrap(UnauthenticatedError);
    case GrpcStatus.PERMISSION_DENIED:
      return wrap(ForbiddenError);
    default:
      return wrap(OrchardError);
  }
}
