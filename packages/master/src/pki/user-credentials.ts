import { BadRequestError } from '@orchard/api';
import { YEAR_MS, type CertifiedKey, type IssueOptions } from './certified-key';
import { signCsr } from './csr-signing';
import { CertificateIdentityError } from './errors';
import { subjectFor } from './identity';

/** Roles a person or tool may be given a certificate for (nodes and masters join with tokens). */
export const USER_ROLES = ['admin', 'viewer'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** Default lifetime of a user certificate: one year, like the admin credentials a master writes. */
export const USER_CERT_TTL_MS = YEAR_MS;
/** Longest lifetime a user certificate may ask for: ten years (the CA's own lifetime caps it too). */
export const USER_CERT_MAX_TTL_MS = 10 * YEAR_MS;

export interface UserCredentialsRequest {
  readonly name: string;
  readonly role: string;
  readonly csrPem: string;
  /** 0 means the default (one year). */
  readonly ttlMs: number;
}

/**
 * Signs a client certificate for a person or tool: the role is carried in the subject's
 * organization exactly as the auth guard reads it (pki/identity.ts), the name in the CN.
 * The CSR must ask for exactly that subject and hold an ECDSA P-256 key (signCsr). Bad
 * input throws BadRequestError (INVALID_ARGUMENT) naming the field; nothing is issued.
 */
export async function signUserCredentials(ca: CertifiedKey, req: UserCredentialsRequest, opts: IssueOptions = {}): Promise<string> {
  if (!(USER_ROLES as readonly string[]).includes(req.role)) {
    throw new BadRequestError(`role: must be one of ${USER_ROLES.join(', ')}, got ${JSON.stringify(req.role)}`);
  }
  const role = req.role as UserRole;
  let subject;
  try {
    subject = subjectFor(role, req.name);
  } catch (err) {
    if (err instanceof CertificateIdentityError) throw new BadRequestError(`name: ${err.message}`, { cause: err });
    throw err;
  }
  if (!Number.isFinite(req.ttlMs) || req.ttlMs < 0) throw new BadRequestError(`ttl: must be positive, got ${req.ttlMs / 1000}s`);
  if (req.ttlMs > USER_CERT_MAX_TTL_MS) throw new BadRequestError(`ttl: must be at most ${USER_CERT_MAX_TTL_MS / 3_600_000}h (ten years), got ${Math.round(req.ttlMs / 3_600_000)}h`);
  if (req.csrPem.trim() === '') throw new BadRequestError('csrPem: a certificate signing request is required');
  return signCsr(ca, req.csrPem, { ...subject, ttlMs: req.ttlMs === 0 ? USER_CERT_TTL_MS : req.ttlMs }, opts);
}
