const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration as kubectl flags take them: `30s`, `1m30s`, `500ms`, `2h`, or a bare
 * number of seconds. Returns milliseconds.
 * @throws Error naming the flag value when it is not a duration.
 */
export function parseDuration(s: string): number {
  const v = s.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < v.length) {
    re.lastIndex = pos;
    const m = re.exec(v);
    if (!m) throw new Error(`invalid duration "${s}": use a number of seconds or a value like 30s, 1m or 500ms`);
    total += Number(m[1]) * UNITS[m[2]!]!;
    pos = re.lastIndex;
  }
  if (v.length === 0) throw new Error(`invalid duration "${s}": use a number of seconds or a value like 30s, 1m or 500ms`);
  return Math.round(total);
}
