import type { TaskEvent } from '../../protocol/events.js';
import { formatDuration } from '../../util/format.js';

/** The line `run` prints when a tool call waits for a person, and when it is decided; null for other events. */
export function describeApproval(event: TaskEvent): string | null {
  if (event.event === 'approval.requested') {
    return `⏸ ${event.tool} ${shownArgs(event.tool, event.args)} awaits your approval (denied in ${formatDuration(event.timeoutMs)} without one):\n` +
      `    lightning approve ${event.taskId}    ·    lightning deny ${event.taskId} --note "why"`;
  }
  if (event.event === 'approval.decided') {
    const how = event.verdict === 'timeout' ? 'denied: no decision in time' : `${event.verdict} (${event.by})`;
    return `▶ ${event.tool} ${how}${event.note && event.verdict !== 'timeout' ? `: ${event.note}` : ''}`;
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

