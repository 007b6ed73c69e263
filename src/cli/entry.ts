import { runGuarded } from './guard.js';

/**
 * The `lightning` command's first module. `lightning status` (or `ps`) and `lightning tasks` with
 * nothing after them, the commands run most, run from here; `lightning up -d` from up-entry.ts;
 * everything else is main.ts's.
 *
 * Why: the package bundles this file, with just what those two commands need, into one small
 * CommonJS file (dist-bundle/cli.cjs, scripts/bundle.mjs) that bin/lightning.js loads first. Node
 * loads one CommonJS file much faster than the dozens of ES module chunks the same code splits
 * into (resolving, linking and compiling each), and nothing else (commander, the definition of
 * every command) is loaded for them: about half their time over a bare Node start
 * (bench/cli-builds.js). They get exactly what the program would give them (status: no options;
 * tasks: `-n 20`); any other argv, those commands with an option or --help included, goes to
 * main.ts, which commander parses as always.
 */
const args = process.argv.slice(2);
const only = args.length === 1 ? args[0] : undefined;
// Each command's modules load only for it: `up -d` goes on to up.cjs without initialising the
// others' (their HTTP client with node:http, the table renderers), which it would before the
// daemon is spawned. In cli.cjs these import()s are of its own modules, not of files.
if (only === 'status' || only === 'ps') void runGuarded(async () => (await import('./commands/status.js')).statusCommand({}, undefined));
else if (only === 'tasks') void runGuarded(async () => (await import('./commands/tasks.js')).tasksCommand({ lines: '20' }));
else if (args.length === 2 && args[0] === 'up' && (args[1] === '-d' || args[1] === '--detach')) void import('./up-entry.js');
else void import('./main.js');
