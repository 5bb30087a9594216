// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Plain-text columns for humans (`kubepoll jobs`, `kubepoll check`, the demo):
 * every column but the last padded to its widest cell, two spaces between
 * columns, trailing spaces trimmed. Each line ends with a newline.
 */
export function formatColumns(input: readonly (readonly string[])[]): string {
  // Cells may hold server-supplied text (check's version): no terminal escape sequence gets through.
  const rows = input.map((row) => row.map((cell) => cell.replace(CONTROL, '?')));
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      if (i < row.length - 1) widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i] ?? 0) : cell))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}
