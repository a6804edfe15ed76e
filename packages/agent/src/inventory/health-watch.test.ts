import { describe, expect, it } from 'vitest';
import pino from 'pino';
import type { NodeHealth } from '@orchard/api';
import { FakeClock } from '../pods/fake-clock';
import { HealthWatch, significantHealthChange } from './health-watch';

describe('significantHealthChange', () => {
  it.each([
    { name: 'nothing known, nothing known', a: {}, b: {}, want: false },
    { name: 'temperature wobble', a: { socTemperatureCelsius: 51.2 }, b: { socTemperatureCelsius: 54.9 }, want: false },
    { name: 'temperature step', a: { socTemperatureCelsius: 51 }, b: { socTemperatureCelsius: 56 }, want: true },
    { name: 'temperature became known', a: {}, b: { socTemperatureCelsius: 40 }, want: true },
    { name: 'throttling started', a: { throttled: false }, b: { throttled: true }, want: true },
    { name: 'under-voltage cleared', a: { underVoltage: true }, b: { underVoltage: false }, want: true },
    { name: 'frequency cap unchanged', a: { frequencyCapped: false }, b: { frequencyCapped: false }, want: false },
  ])('$name → $want', ({ a, b, want }) => {
    expect(significantHealthChange(a as NodeHealth, b as NodeHealth)).toBe(want);
  });
});

describe('HealthWatch', () => {
  it('reports only significant changes, on its interval', async () => {
    const clock = new FakeClock(0);
    const readings: NodeHealth[] = [{ socTemperatureCelsius: 52 }, { socTemperatureCelsius: 61, throttled: true }];
    const reported: NodeHealth[] = [];
    const w = new HealthWatch({
      read: async () => readings.shift() ?? { socTemperatureCelsius: 61, throttled: true },
      initial: { socTemperatureCelsius: 50 },
      onChange: (h) => reported.push(h),
      clock,
      logger: pino({ level: 'silent' }),
      intervalMs: 1000,
    });
    await w.check();
    expect(reported).toEqual([]);
    await w.check();
    expect(reported).toEqual([{ socTemperatureCelsius: 61, throttled: true }]);
    await w.check();
    expect(reported).toHaveLength(1);
    w.start();
    expect(clock.pending()).toBe(1);
    w.stop();
    expect(clock.pending()).toBe(0);
  });
});
