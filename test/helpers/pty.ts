import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { BIN, userEnv } from './fleet.js';

/**
 * The CLI under a real pseudo-terminal (script(1)), as a user runs it: stdin and stdout are a
 * terminal, and the byte \x03 typed on it becomes SIGINT for the foreground process group — unless
 * something put the terminal in raw mode, which is exactly what these tests must catch.
 */
export interface PtySession {
  readonly child: ResultPromise;
  /** Everything the terminal showed so far (stdout and stderr, merged as on a screen). */
  output(): string;
  /** Types Ctrl-C. */
  ctrlC(): void;
  /** The child's exit code once it ends, or null if it is still running after `timeoutMs`. */
  exit(timeoutMs: number): Promise<number | null>;
}

export function cliInPty(cwd: string, args: string[], env: Record<string, string> = {}, size = { columns: 80, rows: 24 }): PtySession {
  // script(1) without a terminal of its own makes a 0×0 one: give it a size, as a real one has.
  const command = `stty cols ${size.columns} rows ${size.rows}; exec ${[process.execPath, BIN, ...args].map((part) => JSON.stringify(part)).join(' ')}`;
  // -e: script exits with the command's exit code; -f: flush output as it comes.
  const child = execa('script', ['-qfec', command, '/dev/null'], { cwd, env: userEnv(env), extendEnv: false, reject: false, stdin: 'pipe' });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  if (process.env.PTY_DEBUG) child.stdout!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  return {
    child,
    output: () => output,
    ctrlC: () => void child.stdin!.write('\x03'),
    exit: async (timeoutMs) => {
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([child, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)))]);
      clearTimeout(timer);
      return result === null ? null : (result.exitCode ?? -1);
    },
  };
}
