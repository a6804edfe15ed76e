import { describe, expect, it } from 'vitest';
import type { NodeHealth } from '@orchard/api';
import { makeNode, makePod } from '../../framework/fixtures';
import { runScore } from '../../framework/run-plugin';
import { thermalHeadroom } from './thermal-headroom';

describe('ThermalHeadroom', () => {
  const cases: { name: string; health: NodeHealth | undefined; score: number }[] = [
    { name: 'no readings: neutral (as healthy)', health: undefined, score: 100 },
    { name: 'empty readings: neutral', health: {}, score: 100 },
    { name: 'cool and healthy', health: { socTemperatureCelsius: 55, throttled: false, underVoltage: false }, score: 100 },
    { name: 'just below hot', health: { socTemperatureCelsius: 69.9 }, score: 100 },
    { name: 'hot at 70 °C halves', health: { socTemperatureCelsius: 70 }, score: 50 },
    { name: '77.5 °C quarter', health: { socTemperatureCelsius: 77.5 }, score: 25 },
    { name: '85 °C and above: 0', health: { socTemperatureCelsius: 90 }, score: 0 },
    { name: 'throttled', health: { throttled: true }, score: 25 },
    { name: 'under-voltage', health: { underVoltage: true }, score: 25 },
    { name: 'frequency capped', health: { frequencyCapped: true }, score: 75 },
    { name: 'throttled and under-voltage', health: { throttled: true, underVoltage: true }, score: 6.25 },
  ];
  it.each(cases)('$name', ({ health, score }) => {
    const [s] = runScore(thermalHeadroom(), makePod(), [makeNode({ name: 'n1', health })]);
    expect(s).toBeCloseTo(score, 9);
  });
});
