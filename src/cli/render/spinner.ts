export interface Spinner {
  update(text: string): void;
  stop(): void;
}

/** A spinner on stderr, only on a terminal (ora is loaded only then); null elsewhere. */
export async function startSpinner(text: string): Promise<Spinner | null> {
  // A terminal that reports no width (a 0×0 pty) would make ora redraw endlessly.
  if (!process.stderr.isTTY || !process.stderr.columns) return null;
  const { default: ora } = await import('ora');
  // discardStdin: false — ora otherwise puts the terminal in raw mode to swallow keystrokes, and
  // in raw mode Ctrl-C is a byte on stdin, not SIGINT: `run` could not be cancelled.
  const spinner = ora({ text, stream: process.stderr, color: 'cyan', discardStdin: false }).start();
  return {
    update: (next) => {
      spinner.text = next;
    },
    stop: () => spinner.stop(),
  };
}
