/**
 * Kubernetes resource quantities ("100m", "0.5", "250Mi", "1Gi", "1e3"), parsed once here
 * for every package. Parsing is exact (BigInt arithmetic on the written digits), so
 * "0.1" is 100 millicores, not 100.00000000000001.
 */

const QUANTITY_HINT = 'must be a non-negative quantity like 100m, 250Mi or 1Gi';

// Number part, then at most one suffix: a binary SI suffix, a decimal SI suffix or a
// decimal exponent. Kubernetes accepts a leading '+'; a '-' is parsed so the error can
// say "negative" rather than "malformed".
const QUANTITY_RE = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|(n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

const BINARY_POW: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_EXP: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** A quantity as an exact rational: numerator / denominator, both non-negative. */
interface Exact {
  num: bigint;
  den: bigint;
}

function parseExact(input: string): Exact {
  if (typeof input !== 'string') {
    throw new Error(`quantity ${JSON.stringify(input)} is not a string: ${QUANTITY_HINT}`);
  }
  const s = input.trim();
  const m = QUANTITY_RE.exec(s);
  if (!m) throw new Error(`invalid quantity "${input}": ${QUANTITY_HINT}`);
  const [, sign, number, binary, decimal, exponent] = m;
  const [intPart, fracPart = ''] = number!.split('.');
  let num = BigInt((intPart || '0') + fracPart);
  if (sign === '-' && num !== 0n) throw new Error(`invalid quantity "${input}": ${QUANTITY_HINT}`);
  let exp = -fracPart.length;
  if (decimal) exp += DECIMAL_EXP[decimal]!;
  if (exponent !== undefined) {
    const e = Number(exponent);
    // Beyond this the value does not fit any resource anyone has.
    if (Math.abs(e) > 30) throw new Error(`invalid quantity "${input}": exponent out of range`);
    exp += e;
  }
  if (binary) num *= 1n << BigInt(10 * BINARY_POW[binary]!);
  return exp >= 0 ? { num: num * 10n ** BigInt(exp), den: 1n } : { num, den: 10n ** BigInt(-exp) };
}

function ceilDiv(num: bigint, den: bigint): bigint {
  return (num + den - 1n) / den;
}

/**
 * Parses a quantity into base units (cores, bytes, count) as a float.
 * @throws Error for a malformed or negative quantity.
 */
export function parseQuantity(s: string): number {
  const q = parseExact(s);
  return Number(q.num) / Number(q.den);
}

/** Parses a CPU quantity into millicores, rounding up to a whole millicore like Kubernetes. */
export function parseCpuMillis(s: string): number {
  const q = parseExact(s);
  return Number(ceilDiv(q.num * 1000n, q.den));
}

/** Parses a memory (or storage) quantity into whole bytes, rounding up like Kubernetes. */
export function parseMemoryBytes(s: string): number {
  const q = parseExact(s);
  return Number(ceilDiv(q.num, q.den));
}

/** True when s parses as a non-negative quantity. */
export function isQuantity(s: string): boolean {
  try {
    parseExact(s);
    return true;
  } catch {
    return false;
  }
}

/** Formats millicores as Kubernetes prints them: 250 → "250m", 2000 → "2". */
export function formatCpuMillis(millis: number): string {
  const m = Math.ceil(millis);
  return m % 1000 === 0 ? String(m / 1000) : `${m}m`;
}

const BINARY_SUFFIXES = ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const;

/** Formats bytes with the largest binary suffix that divides them: 134217728 → "128Mi". */
export function formatBytes(bytes: number): string {
  const b = Math.ceil(bytes);
  if (b === 0) return '0';
  for (let i = 0; i < BINARY_SUFFIXES.length; i++) {
    const unit = 2 ** (10 * (BINARY_SUFFIXES.length - i));
    if (b % unit === 0) return `${b / unit}${BINARY_SUFFIXES[i]}`;
  }
  return String(b);
}
