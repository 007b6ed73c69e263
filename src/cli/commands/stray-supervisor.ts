/**
 * A supervisor the CLI cannot reach through its control API — supervisor.json deleted, corrupt or
 * stale, or the API hung — but whose pid the state directory still records (the lock file, the
 * process registry, supervisor.json). `down` must stop it anyway: left alone it would restart
 * every worker the sweep stops.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readRegistryFile, isAlive, waitForExit } from '../../supervisor/process-registry.js';
import type { StatePaths } from '../../state/home.js';

/** Live pids the state directory names as its supervisor, each checked to be a lightning process. */
export async function recordedSupervisorPids(paths: StatePaths): Promise<number[]> {
  const candidates = new Set<number>();
  const lockHolder = Number.parseInt(readOr(paths.lockFile), 10);
  if (Number.isInteger(lockHolder)) candidates.add(lockHolder);
  try {
    const info = JSON.parse(readOr(paths.supervisorFile) || 'null') as { pid?: unknown } | null;
    if (typeof info?.pid === 'number') candidates.add(info.pid);
  } catch {} // corrupt: the other records still count
  const registry = await readRegistryFile(paths.processesFile).catch(() => null);
  if (registry && registry.supervisorPid > 0) candidates.add(registry.supervisorPid);
  return [...candidates].filter((pid) => pid > 1 && pid !== process.pid && isAlive(pid) && isLightning(pid));
}

/** SIGTERM (a graceful stop of the fleet), then SIGKILL after `graceMs`; returns the pids that were stopped. */
export async function stopSupervisors(pids: number[], graceMs: number): Promise<number[]> {
  for (const pid of pids) signal(pid, 'SIGTERM');
  const stubborn = await waitForExit(pids, graceMs);
  for (const pid of stubborn) signal(pid, 'SIGKILL');
  await waitForExit(stubborn, 2000);
  return pids.filter((pid) => !isAlive(pid));
}

/**
 * A pid is reused after its process exits: act only on one still running lightning (the bin, or
 * the detached daemon entry). Without /proc (not Linux) the records are all there is to go on.
 */
function isLightning(pid: number): boolean {
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return process.platform !== 'linux';
  }
  return argv.some((arg) => /^(lightning(\.js)?|daemon\.c?js)$/.test(path.basename(arg)));
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {} // already gone
}

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}
