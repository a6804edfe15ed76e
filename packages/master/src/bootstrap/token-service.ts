import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import {
  BadRequestError,
  CreateTokenResponse,
  DeleteTokenResponse,
  JoinToken,
  ListTokensResponse,
  NotFoundError,
  OrchardError,
  rfc3339,
  toServiceError,
  type Clock,
  type CreateTokenRequest,
  type DeleteTokenRequest,
  type ListTokensRequest,
  type Logger,
} from '@orchard/api';
import { caPin } from '../pki';
import { issueToken, joinCommand, pruneExpiredTokens, type JoinUsage, type TokenRecord, type TokenStore } from '../tokens';

export interface TokenServiceDeps {
  readonly tokens: TokenStore;
  readonly caCertPem: string;
  /** HOST:PORT new machines reach this master at (printed in the join command). */
  readonly advertiseAddress: string;
  readonly clock: Clock;
  readonly log: Logger;
}

/** The token calls of the cluster API (admin only; see auth/authorize.ts). */
export class TokenService {
  constructor(private readonly deps: TokenServiceDeps) {}

  async create(req: CreateTokenRequest): Promise<CreateTokenResponse> {
    const usage = (req.usage || 'node') as JoinUsage;
    if (usage !== 'node' && usage !== 'master') throw new BadRequestError(`usage must be "node" or "master", got ${JSON.stringify(req.usage)}`);
    const ttl = Number(req.ttlSeconds);
    const ttlMs = ttl === 0 ? undefined : ttl < 0 ? null : ttl * 1000;
    if (req.usagesCount !== undefined && !(Number.isInteger(req.usagesCount) && req.usagesCount > 0)) {
      throw new BadRequestError(`usages must be a positive whole number, got ${req.usagesCount}`);
    }
    if (req.description.length > 256) throw new BadRequestError('description must be at most 256 characters');
    const { token, record } = await issueToken(this.deps.tokens, {
      usages: [usage],
      ttlMs,
      uses: req.usagesCount ?? null,
      description: req.description,
      now: this.deps.clock.now(),
    });
    const pin = caPin(this.deps.caCertPem);
    this.deps.log.info({ token: record.id, usage }, 'join token created');
    return CreateTokenResponse.fromPartial({
      token: toJoinToken(record),
      secretToken: token,
      caCertHash: pin,
      joinCommand: joinCommand({ server: this.deps.advertiseAddress, token, caPin: pin, usage }),
    });
  }

  async list(_req: ListTokensRequest): Promise<ListTokensResponse> {
    await this.prune();
    return ListTokensResponse.fromPartial({ tokens: (await this.deps.tokens.list()).map(toJoinToken) });
  }

  async delete(req: DeleteTokenRequest): Promise<DeleteTokenResponse> {
    const id = req.id.includes('.') ? req.id.slice(0, req.id.indexOf('.')) : req.id;
    if (!/^[a-z0-9]{6}$/.test(id)) throw new BadRequestError(`token id must be 6 lowercase letters or digits, got ${JSON.stringify(req.id)}`);
    if (!(await this.deps.tokens.delete(id))) throw new NotFoundError('tokens', id);
    this.deps.log.info({ token: id }, 'join token deleted');
    return DeleteTokenResponse.fromPartial({});
  }

  /** Removes expired tokens; the leader calls it periodically. */
  async prune(): Promise<string[]> {
    const removed = await pruneExpiredTokens(this.deps.tokens, this.deps.clock.now());
    if (removed.length) this.deps.log.info({ tokens: removed }, 'expired join tokens removed');
    return removed;
  }
}

export function toJoinToken(r: TokenRecord): JoinToken {
  return JoinToken.fromPartial({
    id: r.id,
    description: r.description,
    usages: [...r.usages],
    expires: r.expires === null ? '' : rfc3339(r.expires),
    remainingUses: r.remainingUses ?? undefined,
    createdAt: rfc3339(r.createdAt),
  });
}

type Handler<Req, Res> = (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => void;

/** The three token handlers, to be spread into the cluster service's handlers. */
export function tokenHandlers(svc: TokenService, log: Logger): {
  createToken: Handler<CreateTokenRequest, CreateTokenResponse>;
  listTokens: Handler<ListTokensRequest, ListTokensResponse>;
  deleteToken: Handler<DeleteTokenRequest, DeleteTokenResponse>;
} {
  const unary =
    <Req, Res>(method: string, fn: (req: Req) => Promise<Res>): Handler<Req, Res> =>
    (call, callback) =>
      fn(call.request).then(
        (res) => callback(null, res),
        (err: unknown) => {
          if (!(err instanceof OrchardError)) log.error({ method, err }, 'request failed');
          callback(toServiceError(err), null);
        },
      );
  return {
    createToken: unary('CreateToken', (r: CreateTokenRequest) => svc.create(r)),
    listTokens: unary('ListTokens', (r: ListTokensRequest) => svc.list(r)),
    deleteToken: unary('DeleteToken', (r: DeleteTokenRequest) => svc.delete(r)),
  };
}
