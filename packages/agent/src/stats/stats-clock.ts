import { performance } from 'node:perf_hooks';

/**
 * Time for the sampler: a monotonic reading for CPU deltas and the wall clock for the
 * timestamps it reports. A Pi has no real-time clock, so its wall clock jumps when NTP
 * first syncs after boot; a delta over that jump would read as nonsense.
 */
export interface StatsClock {
  /** Milliseconds from an arbitrary origin; never goes backwards. */
  monotonicMs(): number;
  /** Milliseconds since the Unix epoch. */
  wallMs(): number;
}

export const systemStatsClock: StatsClock = {
  monotonicMs: () => performance.now(),
  wallMs: () => Date.now(),
};
