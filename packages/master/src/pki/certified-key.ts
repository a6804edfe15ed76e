/** A certificate with its private key, both PEM. A CA is one of these. */
export interface CertifiedKey {
  readonly certPem: string;
  readonly keyPem: string;
}

/** Clock and randomness for certificate issuance, injected so tests are reproducible. */
export interface IssueOptions {
  /** Milliseconds since the epoch; defaults to Date.now(). */
  readonly now?: number;
  /** Random bytes for serial numbers; defaults to node:crypto randomBytes. */
  readonly random?: (size: number) => Uint8Array;
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
export const YEAR_MS = 365 * DAY_MS;

/**
 * Certificates start this long before "now": Raspberry Pis have no real-time clock and
 * may boot with a clock minutes behind the master's until NTP syncs. Kubernetes allows
 * similar skew.
 */
export const BACKDATE_MS = 5 * 60_000;
