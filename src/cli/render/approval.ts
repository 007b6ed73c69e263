import type { SseEvent } from '../../api/client.js';
import { formatDuration } from '../../util/format.js';

/** The line `run` prints when a tool call waits for a person, and when it is decided; null for other events. */
export function describeApproval(event: SseEvent): string | null {
  const data = event.data as { taskId?: string; tool?: string; args?: string; timeoutMs?: number; verdict?: string; by?: string; note?: string | null };
  const id = data.taskId ?? '';
  if (event.event === 'approval.requested') {
    return `⏸ ${data.tool} ${shownArgs(data.tool ?? '', data.args ?? '')} awaits your approval (denied in ${formatDuration(data.timeoutMs ?? 0)} without one):\n` +
      `    lightning approve ${id}    ·    lightning deny ${id} --note "why"`;
  }
  if (event.event === 'approval.decided') {
    const how = data.verdict === 'timeout' ? 'denied: no decision in time' : `${data.verdict} (${data.by})`;
    return `▶ ${data.tool} ${how}${data.note && data.verdict !== 'timeout' ? `: ${data.note}` : ''}`;
  }
  return null;
}

/** A shell command as itself in backticks; other arguments as the JSON they are, shortened. */
export function shownArgs(tool: string, args: string): string {
  if (tool === 'run_shell') {
    try {
      const command = (JSON.parse(args) as { command?: unknown }).command;
      if (typeof command === 'string') return `\`${command.length > 200 ? `${command.slice(0, 200)}…` : command}\``;
    } catch {
      /* shown as given below */
    }
  }
  return args.length > 200 ? `${args.slice(0, 200)}…` : args;
}

