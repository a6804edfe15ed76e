import { ForbiddenError, UnauthenticatedError } from '@orchard/api';

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
