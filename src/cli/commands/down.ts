import { apiRequest } from '../../api/client.js';
import { ProcessRegistry, isAlive, waitForExit } from '../../supervisor/process-registry.js';
import type { GlobalOptions } from '../context.js';
import { findRunningSupervisor, resolveContext } from '../context.js';
import { ExitError } from '../exit-error.js';
import { fetchStatus } from './status.js';

/** How long `down` waits beyond the agents' own grace periods before it kills the supervisor. */
const EXTRA_WAIT_MS = 5000;

/**
 * Graceful stop of the whole fleet, then proof: every pid we knew of is checked to be gone.
 * With no supervisor running it still sweeps anything a crashed one left behind.
 */
export async function downCommand(options: GlobalOptions): Promise<void> {
  const { paths, configPath } = resolveContext(options);
  const info = await findRunningSupervisor(paths);
  if (!info) {
    const swept = await ProcessRegistry.sweep(paths.processesFile, { home: paths.home });
    const extra = swept.killed.length ? ` (stopped ${swept.killed.length} process(es) left behind by an earlier crash)` : '';
    process.stdout.write(`no supervisor running for ${configPath}${extra}\n`);
    return;
  }
  const document = await fetchStatus(info);
  const workerPids = document.agents.flatMap((agent) => (agent.pid === null ? [] : [agent.pid]));
  const { loadConfig } = await import('../../config/load.js');
  const graceMs = Math.max(0, ...loadConfig(configPath).agents.map((agent) => agent.stop.graceMs));
  await apiRequest(info, 'POST', '/v1/shutdown');
  const stillRunning = await waitForExit([info.pid], graceMs + EXTRA_WAIT_MS);
  if (stillRunning.length > 0) {
    process.kill(info.pid, 'SIGKILL');
    await ProcessRegistry.sweep(paths.processesFile, { home: paths.home });
  }
  const leftovers = (await waitForExit(workerPids, 2000)).filter(isAlive);
  if (leftovers.length > 0) throw new ExitError(`processes still running after down: ${leftovers.join(', ')}`);
  process.stdout.write(`stopped ${workerPids.length} instance(s) and the supervisor (pid ${info.pid})\n`);
}
