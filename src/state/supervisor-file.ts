import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isAlive } from '../util/proc.js';
import type { StatePaths } from './home.js';

/** `.lightning/supervisor.json`: how the CLI finds and authenticates to the running supervisor. */
export interface SupervisorInfo {
  pid: number;
  api: string;
  token: string;
  config: string;
  home: string;
  startedAt: string;
}

/** Written atomically with mode 0600: it holds the control API token. */
export function writeSupervisorInfo(paths: StatePaths, info: SupervisorInfo): void {
  mkdirSync(paths.home, { recursive: true });
  const temp = `${paths.supervisorFile}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  renameSync(temp, paths.supervisorFile);
}

export function readSupervisorInfo(paths: StatePaths): SupervisorInfo | null {
  try {
    const value = JSON.parse(readFileSync(paths.supervisorFile, 'utf8')) as Partial<SupervisorInfo>;
    if (typeof value.pid !== 'number' || typeof value.api !== 'string' || typeof value.token !== 'string') return null;
    return value as SupervisorInfo;
  } catch {
    return null;
  }
}

export function removeSupervisorInfo(paths: StatePaths): void {
  rmSync(paths.supervisorFile, { force: true });
}

/**
 * One supervisor per state directory. The lock file holds the owner's pid; a lock whose owner
 * is dead (a supervisor that was SIGKILLed) is taken over.
 */
export function acquireLock(paths: StatePaths): { ok: true } | { ok: false; holder: number } {
  mkdirSync(paths.home, { recursive: true });
  for (let tries = 0; tries < 3; tries += 1) {
    try {
      const fd = openSync(paths.lockFile, 'wx', 0o600);
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return { ok: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(readFileOr(paths.lockFile, ''), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) return { ok: false, holder };
      rmSync(paths.lockFile, { force: true });
    }
  }
  return { ok: false, holder: -1 };
}

export function releaseLock(paths: StatePaths): void {
  if (readFileOr(paths.lockFile, '') === String(process.pid)) rmSync(paths.lockFile, { force: true });
}

function readFileOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return fallback;
  }
}
