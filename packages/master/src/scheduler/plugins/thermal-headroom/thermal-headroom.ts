import type { NodeHealth } from '@orchard/api';
import type { ColumnTable } from '../../framework/node-column';
import { NodeColumn } from '../../framework/node-column';
import type { ScorePlugin } from '../../framework/plugin';

export const Name = 'ThermalHeadroom';

/** From here a Pi's SoC counts as hot: firmware starts soft throttling at 80 °C (Pi 4/5). */
export const HOT_CELSIUS = 70;
/** Where a Pi hard-throttles; a node this hot scores 0 on temperature. */
export const CRITICAL_CELSIUS = 85;

/**
 * 0..100, how much thermal and power headroom a node reports. A node that reports nothing
 * (not a Pi, or no sensor) scores as a healthy one: unknown is neutral, never a penalty.
 * A hot SoC halves the score at 70 °C down to 0 at 85 °C; active throttling or
 * under-voltage (a weak supply, which corrupts SD cards under load) cut it sharply; a capped
 * frequency a little.
 */
export function thermalScore(health: NodeHealth | undefined): number {
  if (!health) return 100;
  let score = 100;
  const t = health.socTemperatureCelsius;
  if (t !== undefined && t >= HOT_CELSIUS) {
    score *= t >= CRITICAL_CELSIUS ? 0 : (0.5 * (CRITICAL_CELSIUS - t)) / (CRITICAL_CELSIUS - HOT_CELSIUS);
  }
  if (health.throttled) score *= 0.25;
  if (health.underVoltage) score *= 0.25;
  if (health.frequencyCapped) score *= 0.75;
  return score;
}

const THERMAL = new NodeColumn((nodeInfo) => thermalScore(nodeInfo.node.status?.health));

/** Prefers Pis that are cool and well powered; work sent to a throttled Pi runs slowly. */
export function thermalHeadroom(): ScorePlugin<ColumnTable<number>> {
  return {
    name: Name,
    preScore: (_pod, ctx) => THERMAL.of(ctx.snapshot.nodes),
    score: (thermal, _pod, nodeInfo, index) => thermal.get(index, nodeInfo),
  };
}
