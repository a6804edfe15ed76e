/**
 * Aligns tab-separated cells the way Go's text/tabwriter does for kubectl: a cell that
 * ends in a tab belongs to a column; consecutive lines that share a column form one
 * block, padded to the widest cell of the block plus `padding` (at least `minWidth`).
 * The last cell of a line is never padded.
 */
export function tabwrite(text: string, opts: { minWidth: number; padding: number }): string {
  const lines = text.split('\n');
  const cells = lines.map((l) => l.split('\t'));
  const widths = cells.map((row) => row.map(() => 0));
  const maxCols = Math.max(0, ...cells.map((r) => r.length - 1));
  for (let col = 0; col < maxCols; col++) {
    let start = 0;
    while (start < cells.length) {
      if (cells[start]!.length - 1 <= col) {
        start++;
        continue;
      }
      let end = start;
      let width = 0;
      while (end < cells.length && cells[end]!.length - 1 > col) {
        width = Math.max(width, cells[end]![col]!.length);
        end++;
      }
      const w = Math.max(width + opts.padding, opts.minWidth);
      for (let i = start; i < end; i++) widths[i]![col] = w;
      start = end;
    }
  }
  return cells
    .map((row, i) => row.map((c, j) => (j < row.length - 1 ? c.padEnd(widths[i]![j]!) : c)).join(''))
    .join('\n');
}

/** kubectl's `get` table settings: minimum width 6, three spaces between columns. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '';
  return tabwrite(rows.map((r) => r.join('\t')).join('\n'), { minWidth: 6, padding: 3 }) + '\n';
}

/**
 * A table printed piece by piece (get -w): columns keep the widest width seen so far,
 * so rows printed later line up with the header printed first.
 */
export class StreamingTable {
  private widths: number[] = [];

  /** Formats rows, widening columns as needed (never narrowing them). */
  format(rows: readonly (readonly string[])[]): string {
    for (const row of rows) {
      row.forEach((cell, i) => {
        if (i < row.length - 1) this.widths[i] = Math.max(this.widths[i] ?? 0, cell.length + 3, 6);
      });
    }
    return rows.map((row) => row.map((c, i) => (i < row.length - 1 ? c.padEnd(this.widths[i]!) : c)).join('') + '\n').join('');
  }
}
