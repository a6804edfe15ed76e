import { status as GrpcStatus } from '@grpc/grpc-js';
import { OrchardError, UnauthenticatedError } from '@orchard/api';

/** How to get a new token; every "get a new one" message points here. */
export const TOKEN_CREATE_COMMAND = 'orchard token create';

/**
 * A join token was refused (UNAUTHENTICATED). Messages never contain the presented
 * secret, only the token id, because they end up in logs on both sides.
 */
export class TokenError extends UnauthenticatedError {}

export class TokenFormatError extends TokenError {
  constructor() {
    super('token must look like "abcdef.0123456789abcdef": 6 then 16 lowercase letters or digits, joined by a dot');
  }
}

export class TokenNotFoundError extends TokenError {
  constructor(readonly tokenId: string) {
    super(`token ${tokenId} is unknown or was deleted (expired tokens are removed); create a new one with: ${TOKEN_CREATE_COMMAND}`);
  }
}

export class TokenSecretMismatchError extends TokenError {
  constructor(readonly tokenId: string) {
    super(`token ${tokenId}: the secret part is wrong; copy the whole ID.SECRET value printed by ${TOKEN_CREATE_COMMAND}`);
  }
}

export class TokenExpiredError extends TokenError {
  constructor(
    readonly tokenId: string,
    readonly expiredAt: number,
  ) {
    super(`token ${tokenId} has expired (at ${new Date(expiredAt).toISOString()}); create a new one with: ${TOKEN_CREATE_COMMAND}`);
  }
}

export class TokenUsedUpError extends TokenError {
  constructor(readonly tokenId: string) {
    super(`token ${tokenId} has been used up (no uses left); create a new one with: ${TOKEN_CREATE_COMMAND} --usages N`);
  }
}

export class TokenUsageError extends TokenError {
  constructor(
    readonly tokenId: string,
    readonly wanted: string,
    readonly allowed: readonly string[],
  ) {
    super(
      `token ${tokenId} may join ${allowed.map((u) => `${u}s`).join(' and ')}, not ${wanted}s; ` +
        `create a ${wanted} token with: ${TOKEN_CREATE_COMMAND}${wanted === 'master' ? ' --master' : ''}`,
    );
  }
}

/** Too many wrong tokens from one address: RESOURCE_EXHAUSTED with the time to wait. */
export class TooManyAttemptsError extends OrchardError {
  override readonly code = GrpcStatus.RESOURCE_EXHAUSTED;
  constructor(
    readonly address: string,
    readonly retryAfterSeconds: number,
  ) {
    super(`too many failed join attempts from ${address}; retry after ${retryAfterSeconds} s`);
  }
}
