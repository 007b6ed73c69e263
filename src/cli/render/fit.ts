/** Fitting text to a terminal's width. */

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** Width as shown: ANSI colours take none. */
export function visibleLength(text: string): number {
  return text.replace(ANSI, '').length;
}

/** `text` cut to `width` visible characters, ending in "…" when cut (colours dropped then). */
export function truncate(text: string, width: number): string {
  if (visibleLength(text) <= width) return text;
  const plain = text.replace(ANSI, '');
  return width <= 1 ? '…'.slice(0, width) : `${plain.slice(0, width - 1)}…`;
}

/**
 * The width to fit output to: the terminal's columns when stdout is one (80 when it does not
 * say), null when it is not — a pipe or a file gets whole lines, as kubectl does, so grep and
 * awk see everything.
 */
export function outputColumns(stream: NodeJS.WriteStream = process.stdout): number | null {
  if (!stream.isTTY) return null;
  return stream.columns || 80;
}
