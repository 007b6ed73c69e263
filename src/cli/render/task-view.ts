import type { TaskResult } from '../../protocol/task.js';
import { formatDuration } from '../../util/format.js';
import { paint } from './color.js';
import type { ColorName } from './color.js';
import { renderTable } from './table.js';

const STATUS_COLORS: Record<string, ColorName> = {
  completed: 'green',
  failed: 'red',
  timeout: 'red',
  cancelled: 'yellow',
  interrupted: 'yellow',
  running: 'cyan',
  waiting: 'yellow',
  'awaiting-approval': 'yellow',
  submitted: 'cyan',
};

export function paintStatus(status: string, stream?: NodeJS.WriteStream): string {
  return paint(status, STATUS_COLORS[status] ?? 'bold', stream);
}

/** The one line `run` ends with: status, agent, time, tokens, or the error. */
export function describeStatus(result: TaskResult): string {
  const where = result.agent ? ` by ${result.agent}#${result.instance}` : '';
  const took = result.durationMs === null ? '' : ` in ${formatDuration(result.durationMs)}`;
  const tokens = result.usage ? ` · ${result.usage.totalTokens} tokens${typeof result.cost === 'number' ? ` ($${result.cost.toFixed(4)})` : ''}` : '';
  const tries = result.attempts.length > 1 ? ` · ${result.attempts.length} attempts` : '';
  const head = `${paintStatus(result.status, process.stderr)}${where}${took}${tokens}${tries} · task ${result.id}`;
  return result.error && result.status !== 'completed' ? `${head}\n${result.error}` : head;
}

/** `lightning tasks`: newest first, one line each (one task in full: task-detail.ts). */
export function renderTaskList(tasks: TaskResult[]): string {
  const rows = tasks.map((task) => [
      task.id,
      paintStatus(task.status),
      agentColumn(task),
      task.durationMs === null ? '-' : formatDuration(task.durationMs),
      task.submittedAt.replace('T', ' ').slice(0, 19),
      oneLine(task.input, 60),
    ]);
  return renderTable(['ID', 'STATUS', 'AGENT', 'DURATION', 'SUBMITTED', 'INPUT'], rows);
}

/** Where the task runs, or which agent it waits for. */
export function agentColumn(task: TaskResult): string {
  if (task.waiting) return `(waiting for ${task.waiting.agent})`;
  if (task.approval) return `${task.approval.agent}#${task.approval.instance} (awaiting approval)`;
  return task.agent ? `${task.agent}#${task.instance}` : '-';
}

export function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
