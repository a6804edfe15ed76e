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
    return new UnavailableError(`etcd is unavailable (${what}): ${transportGist(message)}`, { cause: err });
  }
  return new Error(`etcd ${what} failed: ${message}`, { cause: err });
}

/**
 * The gist of a gRPC transport error ("connect ECONNREFUSED 127.0.0.1:2379" out of "14
 * UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED ...").
 * The full text would reach the CLI, whose own failover reads "Last error:" as a master
 * it could not reach, and the user would be told the master is down when etcd is.
 */
export function transportGist(message: string): string {
  const m = /Last error: (?:Error: )?(.+?)(?:\. Resolution note:.*)?$/s.exec(message);
  return (m ? `no etcd member reachable: ${m[1]}` : message).trim();
}
