import { describe, expect, it } from 'vitest';
import { formatBytes, formatCpuMillis, isQuantity, parseCpuMillis, parseMemoryBytes, parseQuantity } from './quantity';

describe('parseQuantity', () => {
  const cases: Array<[name: string, input: string, want: number]> = [
    ['millicores', '100m', 0.1],
    ['decimal fraction', '0.5', 0.5],
    ['leading dot', '.5', 0.5],
    ['whole cores', '2', 2],
    ['mebibytes', '250Mi', 250 * 1024 * 1024],
    ['gibibytes', '1Gi', 1024 ** 3],
    ['megabytes', '500M', 500e6],
    ['exponent', '1e3', 1000],
    ['upper-case exponent', '2E2', 200],
    ['plain bytes', '134217728', 134217728],
    ['kilo', '1k', 1000],
    ['kibi', '1Ki', 1024],
    ['explicit plus', '+3', 3],
    ['zero', '0', 0],
    ['negative zero', '-0', 0],
    ['nano', '5n', 5e-9],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => expect(parseQuantity(input)).toBeCloseTo(want, 12));
  }

  const bad: Array<[name: string, input: string]> = [
    ['negative', '-1'],
    ['negative memory', '-100Mi'],
    ['empty', ''],
    ['letters', 'abc'],
    ['unknown suffix', '1Xi'],
    ['upper-case K is not a suffix', '1K'],
    ['two suffixes', '1Mi5'],
    ['space inside', '1 Gi'],
    ['double dot', '1.2.3'],
  ];
  for (const [name, input] of bad) {
    it(`rejects ${name}`, () => expect(() => parseQuantity(input)).toThrow(/non-negative quantity like 100m, 250Mi or 1Gi/));
  }
});

describe('parseCpuMillis', () => {
  const cases: Array<[string, string, number]> = [
    ['millicores', '250m', 250],
    ['one tenth is exact', '0.1', 100],
    ['whole cores', '2', 2000],
    ['rounds up sub-millicore', '0.0001', 1],
    ['rounds up nano', '1500001n', 2],
    ['exponent', '1e-3', 1],
  ];
  for (const [name, input, want] of cases) it(name, () => expect(parseCpuMillis(input)).toBe(want));
});

describe('parseMemoryBytes', () => {
  const cases: Array<[string, string, number]> = [
    ['mebibytes', '128Mi', 134217728],
    ['gigabytes', '1G', 1e9],
    ['fractional gibibytes', '1.5Gi', 1.5 * 1024 ** 3],
    ['rounds up fractions of a byte', '100m', 1],
    ['plain', '42', 42],
  ];
  for (const [name, input, want] of cases) it(name, () => expect(parseMemoryBytes(input)).toBe(want));
});

describe('isQuantity', () => {
  it('accepts a quantity', () => expect(isQuantity('1Gi')).toBe(true));
  it('rejects garbage', () => expect(isQuantity('lots')).toBe(false));
});

describe('formatCpuMillis', () => {
  const cases: Array<[string, number, string]> = [
    ['millicores', 250, '250m'],
    ['whole cores', 2000, '2'],
    ['zero', 0, '0'],
    ['cores and millis', 1500, '1500m'],
  ];
  for (const [name, input, want] of cases) it(name, () => expect(formatCpuMillis(input)).toBe(want));
});

describe('formatBytes', () => {
  const cases: Array<[string, number, string]> = [
    ['mebibytes', 134217728, '128Mi'],
    ['gibibytes', 2 * 1024 ** 3, '2Gi'],
    ['one and a half kibibytes stays in bytes', 1536, '1536'],
    ['kibibytes exact', 2048, '2Ki'],
    ['not a multiple of 1024', 1000, '1000'],
    ['zero', 0, '0'],
  ];
  for (const [name, input, want] of cases) it(name, () => expect(formatBytes(input)).toBe(want));
});
