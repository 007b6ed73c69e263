import Table from 'cli-table3';

/** Borderless columns like `kubectl get` / `docker compose ps`. */
const BORDERLESS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '',
};

/** A borderless table, each cell on one line (the caller fits it to the terminal: see fit.ts). */
export function renderTable(head: string[], rows: string[][], options: { bold?: boolean } = {}): string {
  const table = new Table({
    head,
    chars: BORDERLESS,
    style: { head: options.bold ? ['bold'] : [], border: [], 'padding-left': 0, 'padding-right': 2 },
  });
  table.push(...rows);
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}
