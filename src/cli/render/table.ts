/**
 * Borderless columns like `kubectl get` / `docker compose ps`: each column as wide as its widest
 * cell plus two spaces, the head in bold when asked, trailing spaces trimmed. Written out rather
 * than drawn with cli-table3, which gave the same text: loading and first use of that library
 * (and its string-width) was about a third of what `lightning status` spent over a bare Node
 * start (bench/cli.js).
 */
const GAP = 2;
const ANSI = /\u001b\[[0-9;]*m/g;
const BOLD_ON = '\u001b[1m';
const BOLD_OFF = '\u001b[22m';

/** A borderless table (the caller fits it to the terminal: see fit.ts); a cell's newlines start new lines in its row. */
export function renderTable(head: string[], rows: string[][], options: { bold?: boolean } = {}): string {
  const split = (cells: string[]) => cells.map((cell) => String(cell).split('\n'));
  const all = [split(head), ...rows.map(split)];
  const columns = Math.max(...all.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, column) => Math.max(0, ...all.flatMap((row) => (row[column] ?? []).map(displayWidth))) + GAP);
  const lines: string[] = [];
  all.forEach((row, index) => {
    const height = Math.max(1, ...row.map((cell) => cell.length));
    for (let line = 0; line < height; line += 1) {
      const text = widths
        .map((width, column) => {
          const content = row[column]?.[line] ?? '';
          const padded = content + ' '.repeat(width - displayWidth(content));
          return index === 0 && options.bold ? `${BOLD_ON}${padded}${BOLD_OFF}` : padded;
        })
        .join('');
      lines.push(text.trimEnd());
    }
  });
  return lines.join('\n');
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Columns a string takes in a terminal: colours none, East Asian wide characters and emoji two, combining marks none. */
export function displayWidth(text: string): number {
  const plain = text.replace(ANSI, '');
  // Nearly every cell: one column a character. Checked first because the Unicode property tests
  // below are compiled on first use, a few ms of every `lightning status` (bench/cli.js).
  if (PRINTABLE_ASCII.test(plain)) return plain.length;
  let width = 0;
  for (const char of plain) {
    const code = char.codePointAt(0)!;
    if (code < 0x20 || (code >= 0x7f && code < 0xa0) || /\p{Mn}|\p{Me}|\u200b|\u200d|\ufe0f/u.test(char)) continue;
    width += isWide(code) || /\p{Extended_Pictographic}/u.test(char) ? 2 : 1;
  }
  return width;
}

function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0x303e) ||
    (code >= 0x3041 && code <= 0x33ff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0xa000 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}
