import { upCommand } from './commands/up.js';
import { runGuarded } from './guard.js';

/**
 * `lightning up -d` with nothing after it, handed here by entry.ts: the command that starts a
 * fleet, where every ms before the daemon is spawned is on the fleet's start. The package bundles
 * it into its own CommonJS file, dist-bundle/up.cjs (scripts/bundle.mjs), instead of going through
 * main.js's graph of ES module chunks: the daemon is spawned 10–30 ms sooner on the 2-core bench
 * machine. The config parser is beside it in config-load.cjs, loaded only when the config cache
 * misses. It gets exactly what the program would give it (the default 60 s timeout); `up -d` with
 * anything more goes through commander as always.
 */
void runGuarded(() => upCommand({ detach: true }));
