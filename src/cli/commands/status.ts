import { fetchStatus } from '../../api/client.js';
import type { GlobalOptions } from '../context.js';
import { requireSupervisor, resolveStateContext } from '../context.js';
import { EXIT, ExitError } from '../exit-error.js';
import { renderStatusTable } from '../render/status-table.js';

export interface StatusOptions extends GlobalOptions {
  json?: boolean;
  watch?: boolean;
}

export async function statusCommand(options: StatusOptions): Promise<void> {
  const { paths } = resolveStateContext(options);
  const info = await requireSupervisor(paths);
  if (options.watch) {
    if (options.json) throw new ExitError('--watch and --json do not go together: poll `status --json` instead', EXIT.usage);
    const { watchStatus } = await import('./status-watch.js');
    return watchStatus(info);
  }
  const document = await fetchStatus(info);
  if (options.json) process.stdout.write(JSON.stringify(document, null, 2) + '\n');
  else process.stdout.write(renderStatusTable(document) + '\n');
}
