import { EXIT, ExitError } from './exit-error.js';

/**
 * The `lightning` entry. `lightning status` and `lightning tasks` with nothing after them, the
 * commands run most, go straight to their command file without loading commander and the
 * definition of every command (program.ts) — about a quarter of their time over a bare Node start
 * on the bench machine (bench/cli-builds.js). So does `lightning up -d`, whose daemon starts the
 * sooner (and whose CPU the booting fleet gets). They get exactly what the program would give them
 * (status: no options; tasks: `-n 20`; up -d: the default 60 s timeout); any other argv, those
 * commands with an option or --help included, is parsed by program.ts as always.
 */
async function main(argv: string[]): Promise<void> {
  // `lightning tasks | head`: the reader left, so there is nobody to tell; stop quietly as
  // coreutils do on SIGPIPE rather than print a stack trace about it.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
  try {
    const args = argv.slice(2);
    const only = args.length === 1 ? args[0] : undefined;
    if (only === 'status' || only === 'ps') {
      const { statusCommand } = await import('./commands/status.js');
      await statusCommand({}, undefined);
    } else if (args.length === 2 && args[0] === 'up' && (args[1] === '-d' || args[1] === '--detach')) {
      // up-detached.js is fetched with up.js, not after it: the daemon is spawned the sooner.
      const [{ upCommand }] = await Promise.all([import('./commands/up.js'), import('./commands/up-detached.js')]);
      await upCommand({ detach: true });
    } else if (only === 'tasks') {
      const { tasksCommand } = await import('./commands/tasks.js');
      await tasksCommand({ lines: '20' });
    } else {
      const { runProgram } = await import('./program.js');
      await runProgram(argv);
    }
  } catch (error) {
    process.exitCode = await exitCodeFor(error);
  }
}

/** Only this layer prints errors and picks exit codes (commander's own: program.ts). */
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

// No top-level await: the single executable's bundle is CommonJS, where it does not exist.
void main(process.argv);
