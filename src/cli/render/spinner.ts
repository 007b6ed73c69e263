export interface Spinner {
  update(text: string): void;
  stop(): void;
}

/** A spinner on stderr, only on a terminal (ora is loaded only then); null elsewhere. */
export async function startSpinner(text: string): Promise<Spinner | null> {
  if (!process.stderr.isTTY) return null;
  const { default: ora } = await import('ora');
  const spinner = ora({ text, stream: process.stderr, color: 'cyan' }).start();
  return {
    update: (next) => {
      spinner.text = next;
    },
    stop: () => spinner.stop(),
  };
}
