import type { Clock, Logger, NodeHealth } from '@orchard/api/agent';

/** How far the SoC temperature must move before it is worth a node status write. */
export const TEMPERATURE_STEP_CELSIUS = 5;

/**
 * Whether new health readings differ enough from the reported ones to report again:
 * any flag flipped (or became known/unknown), or the temperature moved by a whole step.
 * Small wobbles are not reported: each report is a write to etcd.
 */
export function significantHealthChange(reported: NodeHealth, next: NodeHealth): boolean {
  if (reported.throttled !== next.throttled) return true;
  if (reported.underVoltage !== next.underVoltage) return true;
  if (reported.frequencyCapped !== next.frequencyCapped) return true;
  const a = reported.socTemperatureCelsius;
  const b = next.socTemperatureCelsius;
  if (a === undefined || b === undefined) return a !== b;
  return Math.abs(a - b) >= TEMPERATURE_STEP_CELSIUS;
}

export interface HealthWatchOptions {
  read: () => Promise<NodeHealth>;
  /** The readings already reported (in the Hello). */
  initial: NodeHealth;
  onChange: (health: NodeHealth) => void;
  clock: Clock;
  logger: Logger;
  /** Default 60 s. */
  intervalMs?: number;
}

/** Re-reads the node's health periodically and reports significant changes. */
export class HealthWatch {
  private reported: NodeHealth;
  private timer?: { cancel(): void };
  private stopped = false;

  constructor(private readonly opts: HealthWatchOptions) {
    this.reported = opts.initial;
  }

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  /** One reading; exposed for tests. */
  async check(): Promise<void> {
    try {
      const next = await this.opts.read();
      if (!significantHealthChange(this.reported, next)) return;
      this.reported = next;
      this.opts.onChange(next);
    } catch (err) {
      // A reading that fails now may work next time; the last report stands.
      this.opts.logger.debug({ err }, 'failed to read node health');
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.opts.clock.setTimeout(() => {
      void this.check().finally(() => this.schedule());
    }, this.opts.intervalMs ?? 60_000);
  }
}
