/** Options for {@link formatTable}. */
export interface TableOptions {
  /** Column titles. */
  header: readonly string[];
  rows: ReadonlyArray<ReadonlyArray<string | number>>;
  /** Right-align these columns (numbers). Default: every column whose cells are all numbers. */
  alignRight?: readonly number[];
}

/** A plain-text table with a header rule, columns padded to fit. */
export function formatTable(options: TableOptions): string {
  const cells = options.rows.map((row) => row.map((cell) => String(cell)));
  const columnCount = options.header.length;
  const right =
    options.alignRight ??
    [...Array(columnCount).keys()].filter((column) =>
      options.rows.every((row) => typeof row[column] === 'number'),
    );
  const widths = options.header.map((title, column) =>
    Math.max(title.length, ...cells.map((row) => (row[column] ?? '').length)),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) =>
        right.includes(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join('  ')
      .trimEnd();
  return [
    line(options.header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map((row) => line(row)),
  ]
    .map((row) => `${row}\n`)
    .join('');
}
