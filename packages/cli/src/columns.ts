/**
 * Rows as aligned columns, each as wide as its widest cell, so a long value (a region such as
 * northamerica-northeast1, a long cluster name) widens its column instead of shifting the rest.
 * The last column is not padded: no trailing spaces.
 */
export function alignColumns(rows: string[][], gap = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join(gap)
      .trimEnd(),
  );
}
