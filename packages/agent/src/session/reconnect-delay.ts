/** Reconnect timing: 0.5 s doubling to 30 s. */
export interface ReconnectPolicy {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = { initialMs: 500, maxMs: 30_000 };

/**
 * The wait before reconnect attempt number `failures` (1 = after the first failure):
 * exponential, capped, with "equal jitter" (half fixed, half random) so that a fleet of
 * Pis that lost its master does not come back in lock-step. random() is injected so
 * tests can replay a sequence.
 */
export function reconnectDelay(failures: number, random: () => number, policy: ReconnectPolicy = DEFAULT_RECONNECT): number {
  const exp = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}
