import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import type { LightningConfig } from '../../config/types.js';
import { durationFlag } from '../duration-flag.js';
import { logFilesOf, readLastLines } from '../../logs/tail.js';
import type { InstanceStatus, StatusDocument } from '../../protocol/status.js';
import { readSupervisorInfo } from '../../state/supervisor-file.js';
import { roleCommand } from '../../util/install.js';
import type { SupervisorInfo } from '../../state/supervisor-file.js';
import type { CommandContext } from '../context.js';
import { EXIT, ExitError } from '../exit-error.js';
import { paint } from '../render/color.js';
import { startSpinner } from '../render/spinner.js';

/**
 * The daemon prints a line to supervisor.log for every state change (and once its control API and
 * supervisor.json are there): `up -d` looks at the status when that file changes instead of
 * polling the API every few ms, which took CPU from the booting workers on a small machine and
 * added up to a poll interval to every start. Should a change go unnoticed, it is seen after this.
 */
const FALLBACK_POLL_MS = 100;
/** An instance that has restarted this often while we wait is crash-looping: report it now. */
const CRASH_LOOP_RESTARTS = 3;
const LOG_LINES_ON_FAILURE = 10;

/**
 * `up -d`: start the supervisor as a detached daemon (its output to .lightning/supervisor.log),
 * then wait until every instance is healthy — or has failed or is crash-looping — and report.
 */
export async function upDetached(context: CommandContext, timeoutText?: string): Promise<void> {
  const timeoutMs = timeoutText === undefined ? 60_000 : durationFlag('--timeout', timeoutText, { positive: true, example: '2m' });
  // The table renderer loads while the fleet boots, not before the daemon is spawned.
  const renderer = import('../render/status-table.js');
  const { document, info } = await startDaemon(context, timeoutMs);
  const { renderStatusTable } = await renderer;
  process.stdout.write(renderStatusTable(document) + '\n');
  // Agents running elsewhere are not ours to start: one that is down is a warning, not a failed `up`.
  const elsewhere = document.agents.filter((agent) => agent.kind !== 'local' && agent.state !== 'healthy');
  for (const agent of elsewhere) {
    process.stderr.write(`${paint('!', 'yellow')} ${agent.name}#${agent.instance} at ${agent.url} is ${agent.state}: ${agent.reason ?? 'no answer yet'} — lightning does not start remote agents; routing skips it until it answers\n`);
  }
  const notHealthy = document.agents.filter((agent) => agent.kind === 'local' && agent.state !== 'healthy');
  if (notHealthy.length === 0) {
    const healthy = document.agents.length - elsewhere.length;
    process.stdout.write(`${paint('✔', 'green')} ${healthy} instance(s) healthy · supervisor pid ${info.pid}\n`);
    return;
  }
  const report = notHealthy.map((agent) => describeProblem(agent, context.paths.logsDir)).join('\n');
  throw new ExitError(`${notHealthy.length} instance(s) did not come up (the supervisor keeps running; \`lightning down\` stops it):\n${report}`);
}

/**
 * Starts the detached supervisor and waits until every instance has settled (healthy, failed,
 * or crash-looping) or `timeoutMs` passes. Shared by `up -d` and `run`'s autostart.
 */
export async function startDaemon(context: CommandContext, timeoutMs: number): Promise<{ document: StatusDocument; info: SupervisorInfo }> {
  const { paths } = context;
  mkdirSync(paths.home, { recursive: true });
  const logFd = openSync(paths.supervisorLog, 'a', 0o600);
  // The daemon boots while we validate the config (each cost ~150 ms here before the config cache,
  // src/config/cached-load.ts); it waits on stdin.
  const [file, ...args] = roleCommand('daemon');
  const child = spawn(file!, [...args, '--home', paths.home], {
    detached: true,
    stdio: ['pipe', logFd, logFd],
  });
  closeSync(logFd);
  // The HTTP client (node:http) loads after the daemon is on its way, while the config loads.
  const client = import('../../api/client.js');
  client.catch(() => undefined);
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? 1));
  let config: LightningConfig | null = null;
  let json = '';
  try {
    const { loadConfigCached } = await import('../../config/cached-load.js');
    ({ config, json } = await loadConfigCached(context.configPath, paths.configCache));
  } finally {
    // Invalid config: the daemon reads an empty stdin and exits; the error goes to the user.
    child.stdin!.end(json);
  }

  const { fetchStatus } = await client;
  const label = `starting ${config.agents.length} agent(s)`;
  const spinner = await startSpinner(label);
  const deadline = Date.now() + timeoutMs;
  let document: StatusDocument | null = null;
  let info: SupervisorInfo | null = null;
  // Set by every sign of progress; a check clears it first, so a change during a check is not lost.
  let changed = false;
  let wake: (() => void) | null = null;
  const onChange = () => {
    changed = true;
    wake?.();
  };
  child.on('exit', onChange);
  const watcher = watchFile(paths.supervisorLog, onChange);
  try {
    for (;;) {
      changed = false;
      if (exited !== null) {
        const lines = readLastLines([paths.supervisorLog], LOG_LINES_ON_FAILURE).join('\n');
        throw new ExitError(`the supervisor exited (code ${exited}) before the fleet came up:\n${lines}`);
      }
      const written = readSupervisorInfo(paths);
      if (written && written.pid === child.pid) {
        info = written;
        document = await fetchStatus(info).catch(() => null);
        if (document) {
          spinner?.update(`${label}: ${progressText(document)}`);
          if (document.agents.every(isSettled)) break;
        }
      }
      if (Date.now() > deadline) break;
      if (!changed) await nextChange(FALLBACK_POLL_MS, (resolve) => (wake = resolve));
      wake = null;
    }
  } finally {
    watcher?.close();
    spinner?.stop();
    child.unref();
  }
  if (!document || !info) throw new ExitError(`the supervisor did not answer within ${timeoutMs} ms; see ${paths.supervisorLog}`);
  return { document, info };
}

/** Calls `onChange` whenever `file` changes; null where it cannot be watched (the fallback poll then serves). */
function watchFile(file: string, onChange: () => void): FSWatcher | null {
  try {
    const watcher = watch(file, { persistent: false }, onChange);
    watcher.on('error', () => watcher.close());
    return watcher;
  } catch {
    return null;
  }
}

/** Resolves at the next change (through `setWake`) or after `ms`, whichever comes first. */
function nextChange(ms: number, setWake: (resolve: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    setWake(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function isSettled(agent: InstanceStatus): boolean {
  if (agent.state === 'healthy' || agent.state === 'failed' || agent.state === 'stopped' || agent.state === 'unreachable') return true;
  return agent.state === 'backoff' && agent.restarts >= CRASH_LOOP_RESTARTS;
}

function describeProblem(agent: InstanceStatus, logsDir: string): string {
  const why = agent.reason ?? agent.lastExit ?? 'not healthy yet';
  const lines = readLastLines(logFilesOf(logsDir, agent.name, agent.instance), LOG_LINES_ON_FAILURE);
  const tail = lines.length ? lines.map((line) => `    ${line}`).join('\n') : '    (no log output)';
  return `  ✖ ${agent.name}#${agent.instance}: ${agent.state} — ${why} (restarts: ${agent.restarts})\n  last log lines:\n${tail}`;
}

function progressText(document: StatusDocument): string {
  const healthy = document.agents.filter((agent) => agent.state === 'healthy').length;
  return `${healthy}/${document.agents.length} healthy`;
}
