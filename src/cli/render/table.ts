import Table from 'cli-table3';

/** Borderless columns like `kubectl get` / `docker compose ps`. */
const BORDERLESS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '',
};

/** A borderless table; `wrapColumn` (on a terminal only) wraps that column to the window. */
export function renderTable(head: string[], rows: string[][], options: { bold?: boolean; wrapColumn?: { index: number; reserve: number } } = {}): string {
  const width = process.stdout.isTTY ? process.stdout.columns : undefined;
  const wrap = options.wrapColumn && width ? options.wrapColumn : null;
  const table = new Table({
    head,
    chars: BORDERLESS,
    style: { head: options.bold ? ['bold'] : [], border: [], 'padding-left': 0, 'padding-right': 2 },
    ...(wrap && width
      ? { wordWrap: true, colWidths: head.map((_, index) => (index === wrap.index ? Math.max(24, width - wrap.reserve) : null)) }
      : {}),
  });
  table.push(...rows);
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}
