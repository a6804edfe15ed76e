import { tabwrite } from './tabwriter';

/**
 * Builds `describe` output the way kubectl does: lines indented two spaces per level,
 * `Key:\tvalue` cells aligned by a tabwriter (minimum width 0, padding 2).
 */
export class DescribeWriter {
  private readonly lines: string[] = [];

  /** `Key:  value` at a level; a value of undefined prints the key alone (a section). */
  field(level: number, key: string, value?: string | number | boolean): this {
    this.lines.push(value === undefined ? `${indent(level)}${key}:` : `${indent(level)}${key}:\t${value}`);
    return this;
  }

  /** A raw line (may contain tabs for table cells) at a level. */
  line(level: number, text: string): this {
    this.lines.push(`${indent(level)}${text}`);
    return this;
  }

  /** `Key:  a=b` with further entries on their own aligned lines; `<none>` when empty. */
  multiline(level: number, key: string, values: readonly string[]): this {
    if (values.length === 0) return this.field(level, key, '<none>');
    this.field(level, key, values[0]);
    for (const v of values.slice(1)) this.lines.push(`${indent(level)}\t${v}`);
    return this;
  }

  toString(): string {
    return tabwrite(this.lines.join('\n'), { minWidth: 0, padding: 2 }) + '\n';
  }
}

function indent(level: number): string {
  return '  '.repeat(level);
}

/** Labels or annotations as sorted `k=v` lines. */
export function keyValues(m: Record<string, string> | undefined, sep = '='): string[] {
  return Object.entries(m ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}${sep}${v}`);
}
