import { status as GrpcStatus } from '@grpc/grpc-js';
import { ForbiddenError, OrchardError, UnauthenticatedError } from '@orchard/api';

/**
 * A certificate signing request was refused. It maps to PERMISSION_DENIED: the caller
 * proved something (a token) but asked for more than it allows, or sent a broken request.
 */
export class CsrRefusedError extends ForbiddenError {}

/** A certificate does not name an identity Orchard knows; the caller is not authenticated. */
export class CertificateIdentityError extends UnauthenticatedError {}

/** Stored CA material could not be opened (wrong server secret or damaged record). */
export class CaUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CaUnavailableError';
  }
}

/** A join asked for the name of a node or master that already exists (ALREADY_EXISTS). */
export class NameTakenError extends OrchardError {
  override readonly code = GrpcStatus.ALREADY_EXISTS;
  constructor(
    readonly kind: 'node' | 'master',
    readonly takenName: string,
  ) {
    super(`${kind} "${takenName}" already exists; to replace it, delete it first (orchard delete ${kind} ${takenName}) or join with another --node-name`);
  }
}
