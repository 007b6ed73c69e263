import { runGuarded } from './guard.js';

/**
 * Every command but the quick ones entry.ts runs itself. `lightning up -d` with nothing after it
 * goes straight to its command file without loading commander and the definition of every command
 * (program.ts), so its daemon starts the sooner (and the booting fleet gets the CPU); it gets
 * exactly what the program would give it (the default 60 s timeout). Any other argv, `up -d` with
 * an option or --help included, is parsed by program.ts as always.
 */
function main(argv: string[]): Promise<void> {
  return runGuarded(async () => {
    const args = argv.slice(2);
    if (args.length === 2 && args[0] === 'up' && (args[1] === '-d' || args[1] === '--detach')) {
      // up-detached.js is fetched with up.js, not after it: the daemon is spawned the sooner.
      const [{ upCommand }] = await Promise.all([import('./commands/up.js'), import('./commands/up-detached.js')]);
      await upCommand({ detach: true });
    } else {
      const { runProgram } = await import('./program.js');
      await runProgram(argv);
    }
  });
}

// No top-level await: the single executable's bundle is CommonJS, where it does not exist.
void main(process.argv);
