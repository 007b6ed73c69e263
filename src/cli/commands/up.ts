import { durationFlag } from '../duration-flag.js';
import type { GlobalOptions } from '../context.js';
import { findRunningSupervisor, resolveContext } from '../context.js';
import { EXIT, ExitError } from '../exit-error.js';
import { ensureStateDir } from './state-dir.js';

export interface UpOptions extends GlobalOptions {
  detach?: boolean;
  timeout?: string;
}

export async function upCommand(options: UpOptions): Promise<void> {
  // Checked before anything else: a bad option must not pass unnoticed because a fleet already runs.
  if (options.timeout !== undefined) durationFlag('--timeout', options.timeout, { positive: true, example: '2m' });
  const context = resolveContext(options);
  ensureStateDir(context.paths);
  const running = await findRunningSupervisor(context.paths);
  if (running) {
    process.stdout.write(`lightning is already running (pid ${running.pid}, ${running.api})\n`);
    const { fetchStatus } = await import('../../api/client.js');
    // `up` brings up the whole fleet: agents a user stopped (`lightning stop`) start again.
    const { startStopped } = await import('../agent-control.js');
    for (const line of await startStopped(running, await fetchStatus(running))) process.stdout.write(`${line}\n`);
    const { renderStatusTable } = await import('../render/status-table.js');
    process.stdout.write(renderStatusTable(await fetchStatus(running)) + '\n');
    return;
  }
  if (options.detach) {
    const { upDetached } = await import('./up-detached.js');
    return upDetached(context, options.timeout);
  }
  const [{ loadConfig }, { superviseHere }] = await Promise.all([import('../../config/load.js'), import('../supervise.js')]);
  await superviseHere(context.paths, loadConfig(context.configPath), { daemon: false });
}
