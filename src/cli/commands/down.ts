import { ApiClient } from '../../api/client.js';
import { DEFAULT_STOP } from '../../config/defaults.js';
import { ProcessRegistry, isAlive, waitForExit } from '../../supervisor/process-registry.js';
import type { GlobalOptions, StateContext } from '../context.js';
import { findRunningSupervisor, loadConfigOrWarn, resolveStateContext } from '../context.js';
import { ExitError } from '../exit-error.js';
import { fetchStatus } from '../../api/client.js';
import { recordedSupervisorPids, stopSupervisors } from './stray-supervisor.js';

/** How long `down` waits beyond the agents' own grace periods before it kills the supervisor. */
const EXTRA_WAIT_MS = 5000;

/**
 * Graceful stop of the whole fleet, then proof: every pid we knew of is checked to be gone.
 * It needs only the state directory: with agents.yaml broken, refused or gone it warns and stops
 * the fleet all the same. With no supervisor answering it still stops one the state directory
 * records (supervisor.json lost or corrupt, API hung) and sweeps whatever a crashed one left.
 */
export async function downCommand(options: GlobalOptions): Promise<void> {
  const context = resolveStateContext(options);
  const { paths } = context;
  const info = await findRunningSupervisor(paths);
  if (info) {
    const graceful = await stopThroughApi(context, info).catch((error: Error) => {
      if (error instanceof ExitError) throw error;
      process.stderr.write(`lightning: the supervisor (pid ${info.pid}) did not take the shutdown request (${error.message}); stopping it by signal\n`);
      return null;
    });
    if (graceful !== null) {
      process.stdout.write(`stopped ${graceful} instance(s) and the supervisor (pid ${info.pid})\n`);
      return;
    }
  }
  const stopped = await stopRecorded(context);
  const swept = await ProcessRegistry.sweep(paths.processesFile, { home: paths.home });
  const where = context.configPath ?? paths.home;
  if (stopped.length > 0) {
    const instances = swept.killed.length > 0 ? ` and ${swept.killed.length} instance(s) it left running` : '';
    process.stdout.write(`stopped the supervisor (pid ${stopped.join(', ')}) of ${where}, which its control API did not answer for${instances}\n`);
    return;
  }
  const extra = swept.killed.length ? ` (stopped ${swept.killed.length} process(es) left behind by an earlier crash)` : '';
  process.stdout.write(`no supervisor running for ${where}${extra}\n`);
}

/** The number of instances stopped through the control API, every one of them checked gone. */
async function stopThroughApi(context: StateContext, info: NonNullable<Awaited<ReturnType<typeof findRunningSupervisor>>>): Promise<number> {
  const document = await fetchStatus(info);
  const workerPids = document.agents.flatMap((agent) => (agent.pid === null ? [] : [agent.pid]));
  const graceMs = await stopGraceMs(context);
  await new ApiClient(info).shutdown();
  const stillRunning = await waitForExit([info.pid], graceMs + EXTRA_WAIT_MS);
  if (stillRunning.length > 0) {
    process.kill(info.pid, 'SIGKILL');
    await ProcessRegistry.sweep(context.paths.processesFile, { home: context.paths.home });
  }
  const leftovers = (await waitForExit(workerPids, 2000)).filter(isAlive);
  if (leftovers.length > 0) throw new ExitError(`processes still running after down: ${leftovers.join(', ')}`);
  return workerPids.length;
}

const graceByContext = new WeakMap<StateContext, Promise<number>>();

/**
 * The longest stop grace of any agent, from agents.yaml; the default when it cannot be read (the
 * supervisor may then be killed a little early, and the sweep still stops its workers). Read once
 * per command, so a broken file is warned about once.
 */
function stopGraceMs(context: StateContext): Promise<number> {
  let grace = graceByContext.get(context);
  if (!grace) {
    grace = loadConfigOrWarn(context).then((config) => (config ? Math.max(0, ...config.agents.map((agent) => agent.stop.graceMs)) : DEFAULT_STOP.graceMs));
    graceByContext.set(context, grace);
  }
  return grace;
}

async function stopRecorded(context: StateContext): Promise<number[]> {
  const pids = await recordedSupervisorPids(context.paths);
  if (pids.length === 0) return [];
  return stopSupervisors(pids, (await stopGraceMs(context)) + EXTRA_WAIT_MS);
}
