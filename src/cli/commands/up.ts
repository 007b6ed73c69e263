import type { GlobalOptions } from '../context.js';
import { findRunningSupervisor, resolveContext } from '../context.js';
import { renderStatusTable } from '../render/status-table.js';
import { fetchStatus } from './status.js';

export interface UpOptions extends GlobalOptions {
  detach?: boolean;
  timeout?: string;
}

export async function upCommand(options: UpOptions): Promise<void> {
  const context = resolveContext(options);
  const running = await findRunningSupervisor(context.paths);
  if (running) {
    process.stdout.write(`lightning is already running (pid ${running.pid}, ${running.api})\n`);
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
