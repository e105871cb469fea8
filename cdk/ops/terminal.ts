/** Output for a person at a terminal: tables and progress. */

/** A fixed-width table of rows, the first row being the header. */
export function table(rows: readonly (readonly (string | number)[])[]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => String(row[column] ?? '').length))) ?? [];
  return rows
    .map((row, index) => {
      const line = row.map((cell, column) => String(cell).padEnd(widths[column] ?? 0)).join('  ');
      return index === 0 ? `${line}\n${widths.map((width) => '-'.repeat(width)).join('  ')}` : line;
    })
    .join('\n');
}

/** Progress on stderr: a bar redrawn in place on a terminal, a line every 10% elsewhere (CI logs). */
export function progress(label: string, total: number): (done: number, extra?: string) => void {
  let lastDecile = -1;
  return (done, extra = '') => {
    const share = total === 0 ? 1 : done / total;
    if (process.stderr.isTTY) {
      const filled = Math.round(share * 30);
      process.stderr.write(
        `\r${label} [${'#'.repeat(filled)}${' '.repeat(30 - filled)}] ${done}/${total} ${extra}`,
      );
      if (done >= total) process.stderr.write('\n');
      return;
    }
    const decile = Math.floor(share * 10);
    if (decile !== lastDecile) {
      lastDecile = decile;
      process.stderr.write(`${label} ${done}/${total} (${decile * 10}%) ${extra}\n`);
    }
  };
}
