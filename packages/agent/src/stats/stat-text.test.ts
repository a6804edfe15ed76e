import { describe, expect, it } from 'vitest';
import { meminfoBytes, parseCount, parseProcStat, statValue } from './stat-text';
import { memoryStatV1 } from './cgroup-fixtures';

describe('statValue', () => {
  const cases: { name: string; text: string; key: string; want: number | undefined }[] = [
    { name: 'first line', text: 'usage_usec 41171\nuser_usec 12450\n', key: 'usage_usec', want: 41171 },
    { name: 'later line', text: 'usage_usec 41171\nuser_usec 12450\n', key: 'user_usec', want: 12450 },
    { name: 'last line without newline', text: 'a 1\nb 22', key: 'b', want: 22 },
    { name: 'missing key', text: 'a 1\nb 2\n', key: 'c', want: undefined },
    { name: 'prefix of another key is not a match', text: 'total_inactive_file 5\n', key: 'inactive_file', want: undefined },
    { name: 'v1 inactive_file vs total_inactive_file', text: memoryStatV1(100, 300), key: 'total_inactive_file', want: 300 },
    { name: 'non-numeric value', text: 'a x\n', key: 'a', want: undefined },
    { name: 'empty text', text: '', key: 'a', want: undefined },
  ];
  it.each(cases)('$name', ({ text, key, want }) => {
    expect(statValue(text, key)).toBe(want);
  });
});

describe('parseCount', () => {
  it.each([
    { name: 'counter with newline', text: '41171787\n', want: 41171787 },
    { name: 'empty', text: '', want: undefined },
    { name: 'negative', text: '-1\n', want: undefined },
    { name: 'max (v2 memory.max)', text: 'max\n', want: undefined },
  ])('$name', ({ text, want }) => {
    expect(parseCount(text)).toBe(want);
  });
});

describe('meminfoBytes', () => {
  const text = 'MemTotal:       24684096 kB\nMemFree:        24088584 kB\nMemAvailable:   24226832 kB\nHugePages_Total:       0\n';
  it.each([
    { name: 'first line in kB', key: 'MemTotal', want: 24684096 * 1024 },
    { name: 'later line in kB', key: 'MemAvailable', want: 24226832 * 1024 },
    { name: 'count without unit', key: 'HugePages_Total', want: 0 },
    { name: 'missing', key: 'SwapTotal', want: undefined },
    { name: 'prefix of a key is not a match', key: 'Mem', want: undefined },
  ])('$name', ({ key, want }) => {
    expect(meminfoBytes(text, key)).toBe(want);
  });
});

describe('parseProcStat', () => {
  it.each([
    {
      name: 'two cpus with guest time left out of the total',
      text: 'cpu  100 10 50 800 40 0 5 5 30 0\ncpu0 50 5 25 400 20 0 2 3 15 0\ncpu1 50 5 25 400 20 0 3 2 15 0\nintr 1\n',
      want: { busy: 170, total: 1010, cpus: 2 },
    },
    { name: 'old kernel with four fields', text: 'cpu  1 2 3 4\ncpu0 1 2 3 4\n', want: { busy: 6, total: 10, cpus: 1 } },
    { name: 'not /proc/stat', text: 'intr 1\n', want: undefined },
    { name: 'garbage numbers', text: 'cpu  a b c d\n', want: undefined },
  ])('$name', ({ text, want }) => {
    expect(parseProcStat(text)).toEqual(want);
  });
});
