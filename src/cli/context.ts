import { findConfigPath } from '../config/find.js';
import type { StatePaths } from '../state/home.js';
import { resolveHome, statePaths } from '../state/home.js';
import type { SupervisorInfo } from '../state/supervisor-file.js';
import { readSupervisorInfo } from '../state/supervisor-file.js';
import { isAlive } from '../supervisor/process-registry.js';
import { pingSupervisor } from '../api/client.js';
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
 * The running supervisor of this state directory, or null. A supervisor.json whose pid is dead,
 * or whose API does not answer as that pid, is stale (a crashed supervisor) and ignored.
 */
export async function findRunningSupervisor(paths: StatePaths): Promise<SupervisorInfo | null> {
  const info = readSupervisorInfo(paths);
  if (!info || !isAlive(info.pid)) return null;
  const answer = await pingSupervisor(info.api);
  return answer?.pid === info.pid ? info : null;
}

export async function requireSupervisor(paths: StatePaths): Promise<SupervisorInfo> {
  const info = await findRunningSupervisor(paths);
  if (!info) {
    throw new ExitError(
      `no supervisor running for ${paths.home}\n  fix: start one with \`lightning up -d\` (or \`lightning up\` in the foreground)`,
      EXIT.noSupervisor,
    );
  }
  return info;
}
