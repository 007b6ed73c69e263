import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/errors.js';
import { findConfigPath } from '../config/find.js';
import type { LightningConfig } from '../config/types.js';
import type { StatusDocument } from '../protocol/status.js';
import type { StatePaths } from '../state/home.js';
import { resolveHome, statePaths } from '../state/home.js';
import type { SupervisorInfo } from '../state/supervisor-file.js';
import { readSupervisorInfo } from '../state/supervisor-file.js';
import { isAlive } from '../supervisor/process-registry.js';
import { EXIT, ExitError } from './exit-error.js';

/** Options every command accepts (defined once on the program). */
export interface GlobalOptions {
  config?: string;
  home?: string;
}

export interface CommandContext {
  configPath: string;
  paths: StatePaths;
}

/** Finds agents.yaml (-c, $LIGHTNING_CONFIG, or the nearest one up from cwd) and the state dir. */
export function resolveContext(options: GlobalOptions): CommandContext {
  const configPath = findConfigPath({ cwd: process.cwd(), explicit: options.config });
  return { configPath, paths: statePaths(resolveHome({ home: options.home, configPath })) };
}

/**
 * For the commands that work from the state directory alone (down, status, logs, tasks, task,
 * cancel, feedback, dashboard): they must keep working when agents.yaml is broken mid-edit,
 * refused, or gone — that is exactly when a user needs to stop or inspect the fleet. `configPath`
 * is null when no agents.yaml was found; the state directory then comes from --home /
 * $LIGHTNING_HOME, or the nearest `.lightning/` holding state up from the current directory (as
 * agents.yaml itself is looked for).
 */
export interface StateContext {
  configPath: string | null;
  paths: StatePaths;
}

export function resolveStateContext(options: GlobalOptions): StateContext {
  try {
    return resolveContext(options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const home = options.home ?? process.env.LIGHTNING_HOME;
    // A -c (or $LIGHTNING_CONFIG) naming a missing file stays an error: most likely a typo, and
    // the fleet it meant is not ours to guess. --home names the state directory outright.
    const explicitConfig = Boolean(options.config ?? process.env.LIGHTNING_CONFIG);
    const found = home ? path.resolve(home) : explicitConfig ? null : nearestStateDir();
    if (found === null) throw error;
    warnConfigProblem(error, found);
    return { configPath: null, paths: statePaths(found) };
  }
}

/** The files that say a directory is a state directory (a fleet ran from it). */
const STATE_MARKERS = ['supervisor.json', 'processes.json', 'supervisor.lock', 'ledger.jsonl', 'logs'];

function isStateDir(dir: string): boolean {
  return STATE_MARKERS.some((name) => fs.existsSync(path.join(dir, name)));
}

function nearestStateDir(): string | null {
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    const home = path.join(dir, '.lightning');
    if (isStateDir(home)) return home;
    if (path.dirname(dir) === dir) return null;
  }
}

/** The config problem, said once on stderr, with what the command does instead. */
export function warnConfigProblem(error: ConfigError, home: string): void {
  process.stderr.write(`lightning: warning: ${error.message}\n  (carrying on from the state directory ${home})\n`);
}

/**
 * agents.yaml, when this command can use it but does not need it: null (after a warning) when
 * it is missing, broken or refused.
 */
export async function loadConfigOrWarn(context: StateContext): Promise<LightningConfig | null> {
  if (context.configPath === null) return null;
  const { loadConfig } = await import('../config/load.js');
  try {
    return loadConfig(context.configPath);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    warnConfigProblem(error, context.paths.home);
    return null;
  }
}

/**
 * The running supervisor of this state directory, or null. A supervisor.json whose pid is dead,
 * or whose API does not answer as that pid, is stale (a crashed supervisor) and ignored.
 */
export async function findRunningSupervisor(paths: StatePaths): Promise<SupervisorInfo | null> {
  const info = readSupervisorInfo(paths);
  if (!info || !isAlive(info.pid)) return null;
  // The HTTP client loads only when there is a supervisor to ask: `up -d` spawns its daemon sooner.
  const { pingSupervisor } = await import('../api/client.js');
  const answer = await pingSupervisor(info.api);
  return answer?.pid === info.pid ? info : null;
}

/**
 * The running supervisor and its status, from one request: what `lightning status` shows. The
 * status document names the supervisor's pid, so the /healthz round trip findRunningSupervisor
 * makes first is not needed to tell a live supervisor from a stale supervisor.json (it was a tenth
 * of the command's time over a bare Node start, bench/cli.js). Anything but a 200 from that pid
 * is decided as findRunningSupervisor decides it.
 */
export async function requireSupervisorStatus(paths: StatePaths): Promise<{ info: SupervisorInfo; document: StatusDocument }> {
  const info = readSupervisorInfo(paths);
  if (!info || !isAlive(info.pid)) throw noSupervisor(paths);
  const { ApiClient, fetchStatus } = await import('../api/client.js');
  let failure: unknown = null;
  const response = await new ApiClient(info).status().catch((error: unknown) => {
    failure = error;
    return null;
  });
  if (response?.status === 200 && response.body.supervisor.pid === info.pid) return { info, document: response.body };
  // Not answered as that pid: a stale file (no supervisor), or that supervisor failing (its error).
  const running = await requireSupervisor(paths);
  if (failure) throw failure;
  return { info: running, document: await fetchStatus(running) };
}

export async function requireSupervisor(paths: StatePaths): Promise<SupervisorInfo> {
  const info = await findRunningSupervisor(paths);
  if (!info) throw noSupervisor(paths);
  return info;
}

function noSupervisor(paths: StatePaths): ExitError {
  return new ExitError(`no supervisor running for ${paths.home}\n  fix: start one with \`lightning up -d\` (or \`lightning up\` in the foreground)`, EXIT.noSupervisor);
}
