import { describe, expect, it } from 'vitest';
import { age, describeTime, humanDuration } from './age';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('humanDuration (kubectl AGE)', () => {
  const cases: Array<[string, number, string]> = [
    ['clock skew of under a second', -500, '0s'],
    ['clock skew beyond a second', -5 * S, '<invalid>'],
    ['zero', 0, '0s'],
    ['seconds', 45 * S, '45s'],
    ['under two minutes stays in seconds', 119 * S, '119s'],
    ['minutes and seconds', 3 * M + 2 * S, '3m2s'],
    ['whole minutes', 5 * M, '5m'],
    ['minutes only from ten minutes', 15 * M + 30 * S, '15m'],
    ['minutes up to three hours', 170 * M, '170m'],
    ['hours and minutes', 5 * H + 20 * M, '5h20m'],
    ['whole hours', 5 * H, '5h'],
    ['hours up to two days', 30 * H, '30h'],
    ['days and hours', 2 * D + 3 * H, '2d3h'],
    ['whole days', 2 * D, '2d'],
    ['days from eight days', 30 * D + 5 * H, '30d'],
    ['years and days', 800 * D, '2y70d'],
    ['years', 365 * 9 * D, '9y'],
  ];
  for (const [name, ms, want] of cases) it(name, () => expect(humanDuration(ms)).toBe(want));
});

describe('age', () => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  const cases: Array<[string, string | undefined, string]> = [
    ['from a timestamp', '2026-01-01T11:57:00Z', '3m'],
    ['no timestamp', undefined, '<unknown>'],
    ['empty timestamp', '', '<unknown>'],
    ['garbage', 'yesterday', '<unknown>'],
  ];
  for (const [name, ts, want] of cases) it(name, () => expect(age(ts, now)).toBe(want));
});

describe('describeTime', () => {
  it('prints RFC 1123 with a numeric zone', () => expect(describeTime('2026-11-25T13:05:09Z')).toBe('Wed, 25 Nov 2026 13:05:09 +0000'));
  it('says unset for nothing', () => expect(describeTime('')).toBe('<unset>'));
});
