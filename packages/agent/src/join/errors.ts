/** Joining failed in a way the operator must fix; the message says how. */
export class JoinError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The CA the master presented does not have the expected public-key hash: a man in the
 * middle, a wrong address, or a stale hash. Nothing is trusted or written.
 */
export class CaPinMismatchError extends JoinError {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `refusing to trust the cluster CA: its public key hash is ${actual} but --discovery-token-ca-cert-hash is ${expected}; ` +
        'check the address and use the join command printed by "orchard token create --print-join-command" (if the hashes differ, something may be intercepting the connection)',
    );
  }
}

/** Stored credentials are missing, unreadable or inconsistent. */
export class CredentialsError extends JoinError {}
