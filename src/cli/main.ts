import { runGuarded } from './guard.js';

/** Every command but the quick ones entry.ts hands elsewhere: commander (program.ts) parses them. */
function main(argv: string[]): Promise<void> {
  return runGuarded(async () => {
    const { runProgram } = await import('./program.js');
    await runProgram(argv);
  });
}

// No top-level await: the single executable's bundle is CommonJS, where it does not exist.
void main(process.argv);
