import { ApiClient } from '../api/client.js';
import type { ControlAction } from '../protocol/control.js';
import type { StatusDocument } from '../protocol/status.js';
import type { SupervisorInfo } from '../state/supervisor-file.js';
import type { GlobalOptions } from './context.js';
import { requireSupervisor, resolveContext } from './context.js';
import { EXIT, ExitError } from './exit-error.js';

/** `NAME` → every instance; `NAME/i` (or `NAME#i`, as status prints it) → instance i. */
export function parseTarget(target: string): { agent: string; instance: number | null } {
  const match = /^([^/#]+)(?:[/#](.*))?$/.exec(target);
  if (!match) throw new ExitError(`"${target}" is not an agent: use NAME or NAME/i (e.g. web_developer or web_developer/1)`, EXIT.usage);
  const [, agent, index] = match;
  if (index === undefined) return { agent: agent!, instance: null };
  if (!/^\d+$/.test(index)) throw new ExitError(`"${target}": the part after / is an instance number (e.g. ${agent}/0)`, EXIT.usage);
  return { agent: agent!, instance: Number(index) };
}

/** How long a rolling restart may take: each instance may take its start timeout to come back. */
const CONTROL_TIMEOUT_MS = 10 * 60_000;

/**
 * Sends one control (`POST /v1/agents/NAME/restart|stop|start`) and prints what became of each
 * instance. Exit 1 when an instance it restarted or started is not healthy afterwards.
 */
export async function controlCommand(action: ControlAction, target: string, options: GlobalOptions): Promise<void> {
  const { agent, instance } = parseTarget(target);
  const { paths } = resolveContext(options);
  const info = await requireSupervisor(paths);
  const response = await new ApiClient(info).control(action, agent, instance, { timeoutMs: CONTROL_TIMEOUT_MS });
  if (response.status !== 200) {
    const code = response.status === 404 ? EXIT.usage : EXIT.failed;
    throw new ExitError(response.body.message ?? `HTTP ${response.status}`, code);
  }
  const document = response.body;
  process.stdout.write(`${document.message}\n`);
  if (action === 'stop') return;
  const notHealthy = document.instances.filter((row) => row.state !== 'healthy');
  if (notHealthy.length > 0) {
    const lines = notHealthy.map((row) => `  ${row.name}#${row.instance} ${row.state}${row.reason ? `: ${row.reason}` : ''}`);
    throw new ExitError(`not healthy after ${action}:\n${lines.join('\n')}\n  see: lightning logs ${agent}`, EXIT.failed);
  }
}

/** `up` on a running fleet: starts every instance that is stopped; returns what it said. */
export async function startStopped(info: Pick<SupervisorInfo, 'api' | 'token'>, status: StatusDocument): Promise<string[]> {
  const stopped = status.agents.filter((row) => row.kind === 'local' && row.state === 'stopped');
  const lines: string[] = [];
  for (const row of stopped) {
    const response = await new ApiClient(info).control('start', row.name, row.instance, { timeoutMs: CONTROL_TIMEOUT_MS });
    lines.push(response.body.message ?? `HTTP ${response.status}`);
  }
  return lines;
}
