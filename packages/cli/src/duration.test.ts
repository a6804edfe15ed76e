import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration';

describe('parseDuration', () => {
  const cases: Array<[string, string, number]> = [
    ['bare seconds', '30', 30_000],
    ['fractional seconds', '1.5', 1_500],
    ['seconds', '30s', 30_000],
    ['milliseconds', '500ms', 500],
    ['minutes and seconds', '1m30s', 90_000],
    ['hours', '2h', 7_200_000],
    ['zero', '0', 0],
  ];
  for (const [name, input, want] of cases) it(name, () => expect(parseDuration(input)).toBe(want));
  for (const bad of ['', 'soon', '5x', '1m-3s']) {
    it(`rejects ${JSON.stringify(bad)}`, () => expect(() => parseDuration(bad)).toThrow(/invalid duration/));
  }
});
