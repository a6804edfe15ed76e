import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import {
  CreateCredentialsResponse,
  OrchardError,
  ReencryptSecretsResponse,
  rfc3339,
  toServiceError,
  type Clock,
  type CreateCredentialsRequest,
  type Logger,
  type ReencryptSecretsRequest,
} from '@orchard/api';
import { certValidity, signUserCredentials, type CertifiedKey } from '../pki';
import type { ReencryptResult } from '../secrets';

export interface AdminHandlerDeps {
  readonly ca: CertifiedKey;
  readonly clock: Clock;
  readonly log: Logger;
  /** Addresses of the masters now registered, for the credentials file. */
  masters(): Promise<Array<{ address: string }>>;
  /** One re-encryption pass over every Secret; absent when this master has none to offer. */
  reencryptSecrets?(): Promise<ReencryptResult>;
}

type Handler<Req, Res> = (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void;

/**
 * The admin-only calls of the cluster API that belong to security (auth/authorize.ts
 * limits them to admin certificates): signing user credentials and completing a key
 * rotation. Spread into the cluster service's handlers.
 */
export function adminHandlers(deps: AdminHandlerDeps): {
  createCredentials: Handler<CreateCredentialsRequest, CreateCredentialsResponse>;
  reencryptSecrets: Handler<ReencryptSecretsRequest, ReencryptSecretsResponse>;
} {
  const unary =
    <Req, Res>(method: string, fn: (req: Req) => Promise<Res>): Handler<Req, Res> =>
    (call, callback) =>
      fn(call.request).then(
        (res) => callback(null, res),
        (err: unknown) => {
          if (!(err instanceof OrchardError)) deps.log.error({ method, err }, 'request failed');
          callback(toServiceError(err), null);
        },
      );
  return {
    createCredentials: unary('CreateCredentials', async (req: CreateCredentialsRequest) => {
      const certificatePem = await signUserCredentials(
        deps.ca,
        { name: req.name, role: req.role, csrPem: req.csrPem, ttlMs: Number(req.ttlSeconds) * 1000 },
        { now: deps.clock.now() },
      );
      const expires = rfc3339(certValidity(certificatePem).notAfter);
      deps.log.info({ user: req.name, role: req.role, expires }, 'signed user credentials');
      return CreateCredentialsResponse.fromPartial({
        certificatePem,
        caPem: deps.ca.certPem,
        masters: (await deps.masters()).map((m) => m.address),
        expires,
      });
    }),
    reencryptSecrets: unary('ReencryptSecrets', async (_req: ReencryptSecretsRequest) => {
      if (!deps.reencryptSecrets) throw new Error('this master has no secret encryption configured');
      const r = await deps.reencryptSecrets();
      return ReencryptSecretsResponse.fromPartial({ total: r.total, rewritten: r.rewritten, keyId: r.keyId });
    }),
  };
}
