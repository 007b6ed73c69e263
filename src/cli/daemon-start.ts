/**
 * The detached supervisor's first file in the package (dist-bundle/daemon.cjs): it runs the
 * supervisor itself (src/cli/daemon.ts, bundled as dist-bundle/daemon-main.cjs) compiled through a
 * V8 code cache kept in the state directory (src/util/code-cache.ts), and saves that cache once
 * its start-up is over (the runtime's startedUp), from the code that start-up compiled. The first `up -d` after
 * an install or upgrade compiles from source as before; every later one deserializes instead.
 * scripts/bundle.mjs defines the main file's content hash, which names its cache. The single
 * executable does not use this file: its one program is compiled from the code cache SEA builds
 * into it (sea-config.json's useCodeCache).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { statePaths } from '../state/home.js';
import { runWithCodeCache } from '../util/code-cache.js';
import { DAEMON_STARTED_EVENT } from './daemon-started.js';

declare const LIGHTNING_DAEMON_MAIN_HASH: string;

const main = fileURLToPath(new URL('./daemon-main.cjs', import.meta.url));
// daemon.ts parses (and checks) the arguments; here only where the cache lives. No --home: nothing
// to cache into, daemon.ts reports it.
const { values } = parseArgs({ args: process.argv.slice(2), options: { home: { type: 'string' } }, strict: false });
const home = typeof values.home === 'string' ? values.home : null;
if (home) {
  const run = runWithCodeCache(main, statePaths(path.resolve(home)).codeCacheDir, LIGHTNING_DAEMON_MAIN_HASH);
  process.once(DAEMON_STARTED_EVENT, () => run.save());
} else {
  createRequire(main)(main);
}
