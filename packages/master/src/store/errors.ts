import { OrchardError, UnavailableError } from '@orchard/api';
import { isBrokenCircuitError } from 'cockatiel';
import {
  ClientClosedError,
  GRPCDeadlineExceededError,
  GRPCUnavailableError,
  EtcdError,
  GRPCInternalError,
  GRPCCancelledError,
} from 'etcd3';

// etcd answers these when it has no leader or cannot reach quorum in time.
const NO_QUORUM = /no leader|request timed out|leader changed|too many requests|not capable|server is stopped|connection|deadline/i;

/**
 * Converts an error from the etcd client into a typed Orchard error, once, at the store
 * boundary: etcd being unreachable or without quorum becomes UnavailableError (retrying
 * later can succeed); Orchard errors pass through; anything else gains context.
 * @param what the operation, e.g. "get pods/default/web".
 */
export function fromEtcdError(err: unknown, what: string): Error {
  if (err instanceof OrchardError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (
    err instanceof GRPCUnavailableError ||
    err instanceof GRPCDeadlineExceededError ||
    err instanceof ClientClosedError ||
    err instanceof GRPCCancelledError ||
    // cockatiel's open circuit: every member failed recently.
    isBrokenCircuitError(err) ||
    ((err instanceof GRPCInternalError || err instanceof EtcdError || err instanceof Error) && NO_QUORUM.test(message))
  ) {
    return new UnavailableError(`etcd is unavailable (${what}): ${message}`, { cause: err });
  }
  return new Error(`etcd ${what} failed: ${message}`, { cause: err });
}
