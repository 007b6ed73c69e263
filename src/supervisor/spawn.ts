import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { spawn } from 'node:child_process';

export interface SpawnRequest {
  argv: string[];
  cwd: string;
  /** The whole environment of the child: nothing else is inherited. */
  env: Record<string, string>;
  /** Ask the kernel to SIGKILL the child when the supervisor dies (Linux, custom commands). */
  dieWithParent: boolean;
}

export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

export interface RunningProcess {
  pid: number;
  stdout: Readable;
  stderr: Readable;
  exited: Promise<ExitInfo>;
  /** Signal the whole process group: the agent and anything it started. */
  signalGroup(signal: NodeJS.Signals): void;
}

export type Spawner = (request: SpawnRequest) => RunningProcess;

export class SpawnError extends Error {}

const SETPRIV = '/usr/bin/setpriv';
const canSetPdeathsig = process.platform === 'linux' && existsSync(SETPRIV);

/**
 * Spawns an agent detached, i.e. as the leader of its own process group. Two reasons: Ctrl-C in
 * the terminal of a foreground `lightning up` reaches only the supervisor, which then stops the
 * fleet in order instead of every worker dying at once; and stopping an agent signals its whole
 * group, so whatever the agent itself started (a shell, a python child) goes with it.
 */
export const spawnProcess: Spawner = (request) => {
  const [command, ...args] = request.argv;
  if (!command) throw new SpawnError('empty command');
  const resolved = resolveCommand(command, request.cwd, request.env.PATH ?? '');
  if (!resolved) {
    throw new SpawnError(`command not found: ${command} (searched PATH and ${request.cwd})`);
  }
  // setpriv sets PR_SET_PDEATHSIG and execs the command in place (same pid), so even an agent that
  // ignores its stdin and SIGTERM goes away when a SIGKILLed supervisor can no longer stop it. Its
  // own children are swept by the next `up` through the process registry.
  const [file, argv] = request.dieWithParent && canSetPdeathsig
    ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', resolved, ...args]]
    : [resolved, args];
  const child = spawn(file, argv, { cwd: request.cwd, env: request.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) {
    child.on('error', () => undefined);
    throw new SpawnError(`could not start ${command}`);
  }
  const exited = new Promise<ExitInfo>((resolve) => {
    child.on('error', () => undefined);
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    pid,
    stdout: child.stdout!,
    stderr: child.stderr!,
    exited,
    signalGroup(signal) {
      try {
        process.kill(-pid, signal);
      } catch {
        // The group is already gone: nothing left to stop.
      }
    },
  };
};

/** PATH lookup done here so a missing command is a clear error, not an exit code 127 to decode. */
function resolveCommand(command: string, cwd: string, searchPath: string): string | null {
  if (command.includes('/')) {
    const full = path.resolve(cwd, command);
    return isFile(full) ? full : null;
  }
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const full = path.join(dir, command);
    if (isFile(full)) return full;
  }
  return null;
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
