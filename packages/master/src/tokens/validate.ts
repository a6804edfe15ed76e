import { parseToken } from './token-format';
import { secretMatches } from './token-hash';
import { isExpired, type JoinUsage, type TokenRecord } from './token-record';
import { TokenExpiredError, TokenNotFoundError, TokenSecretMismatchError, TokenUsageError, TokenUsedUpError } from './errors';

/**
 * Checks a presented `id.secret` against its stored record (undefined when no record has
 * that id). Checks run in an order that reveals nothing to someone without the secret:
 * a wrong secret is reported before expiry and use counts.
 * Throws TokenFormatError, TokenNotFoundError, TokenSecretMismatchError,
 * TokenExpiredError, TokenUsedUpError or TokenUsageError.
 */
export function validateToken(presented: string, record: TokenRecord | undefined, now: number, usage: JoinUsage): TokenRecord {
  const { id, secret } = parseToken(presented);
  if (!record || record.id !== id) throw new TokenNotFoundError(id);
  if (!secretMatches(id, secret, record.secretHash)) throw new TokenSecretMismatchError(id);
  if (isExpired(record, now)) throw new TokenExpiredError(id, record.expires!);
  if (record.remainingUses !== null && record.remainingUses <= 0) throw new TokenUsedUpError(id);
  if (!record.usages.includes(usage)) throw new TokenUsageError(id, usage, record.usages);
  return record;
}
