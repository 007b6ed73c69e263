/**
 * The detached supervisor that `lightning up -d` starts. Its own entry (not `lightning up`) so it
 * boots without commander and without parsing agents.yaml again: the CLI validates the config
 * while this process starts, then writes the resolved config to its stdin. Empty stdin (the
 * config was invalid and the CLI reported it) → exit quietly. Output goes to supervisor.log.
 */
import { parseArgs } from 'node:util';
import type { LightningConfig } from '../config/types.js';
import { statePaths } from '../state/home.js';
import { ExitError } from './exit-error.js';
import { superviseHere } from './supervise.js';
import type { Runtime } from '../supervisor/runtime.js';
import { DAEMON_STARTED_EVENT } from './daemon-started.js';

// No top-level await: the single executable's bundle is CommonJS, where it does not exist.
void detachedSupervisor(process.argv.slice(2));

async function detachedSupervisor(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { home: { type: 'string' } } });
  // Load the supervisor's modules while the CLI is still validating the config.
  const preloaded = Promise.all([
    import('../supervisor/runtime.js'),
    import('../supervisor/spawn.js'),
    import('../supervisor/http-probe.js'),
    import('../api/server.js'),
  ]);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!values.home || text === '') process.exit(values.home ? 0 : 2);
  try {
    await preloaded;
    await superviseHere(statePaths(values.home), JSON.parse(text) as LightningConfig, { daemon: true, onStarted: announceSettled });
  } catch (error) {
    process.stderr.write(`${new Date().toISOString()} ${error instanceof ExitError ? error.message : (error as Error).stack}\n`);
    // A daemon that failed has nothing left to serve: go, even if some handle would keep us alive.
    process.exit(error instanceof ExitError ? error.exitCode : 1);
  }
}

/**
 * DAEMON_STARTED_EVENT once start-up is over (the runtime's startedUp: the fleet settled, `up -d`
 * answered, the task side not loaded yet): the package's daemon.cjs then saves its code cache
 * (src/cli/daemon-start.ts); nothing else listens.
 */
function announceSettled(runtime: Runtime): void {
  void runtime.startedUp.then(() => process.emit(DAEMON_STARTED_EVENT as never));
}
