import { EXIT, ExitError } from './exit-error.js';

/**
 * Runs one invocation of the command line: the one place that prints an error and picks the
 * exit code (commander's own: program.ts). Shared by entry.ts (the quick commands) and main.ts.
 */
export async function runGuarded(command: () => Promise<void>): Promise<void> {
  // `lightning tasks | head`: the reader left, so there is nobody to tell; stop quietly as
  // coreutils do on SIGPIPE rather than print a stack trace about it.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
  try {
    await command();
  } catch (error) {
    process.exitCode = await exitCodeFor(error);
  }
}

async function exitCodeFor(error: unknown): Promise<number> {
  if (error instanceof ExitError) {
    process.stderr.write(`lightning: ${error.message}\n`);
    return error.exitCode;
  }
  const { ConfigError } = await import('../config/errors.js');
  if (error instanceof ConfigError) {
    process.stderr.write(`lightning: ${error.message}\n`);
    return EXIT.usage;
  }
  process.stderr.write(`lightning: unexpected error (a bug; please report it)\n${(error as Error)?.stack ?? String(error)}\n`);
  return EXIT.failed;
}
