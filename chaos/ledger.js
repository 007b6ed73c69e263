// The ledger as the chaos scenarios judge it: read line by line (as written, not as the product's
// reader would forgive it) and audited per task.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const TERMINAL_EVENTS = new Set(['task.completed', 'task.failed', 'task.cancelled', 'task.interrupted']);

/**
 * The ledger as written: every line parsed. A torn last line (a crash mid-append) is counted, not
 * fatal, as the reader does; a bad line anywhere else is corruption.
 */
export function readLedger(dir) {
  const file = path.join(dir, '.lightning/ledger.jsonl');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const lines = text.split('\n');
  const torn = lines.at(-1) !== '';
  const events = [];
  const corrupt = [];
  for (const [i, line] of lines.entries()) {
    if (line === '') continue;
    try {
      events.push(JSON.parse(line));
    } catch {
      if (!(torn && i === lines.length - 1)) corrupt.push(i + 1);
    }
  }
  return { lines: lines.filter(Boolean).length, events, torn, corrupt };
}

/** Per task, what the ledger says: its submitted and terminal events. */
export function auditLedger(events) {
  const tasks = new Map();
  const of = (id) => {
    let task = tasks.get(id);
    if (!task) tasks.set(id, (task = { id, submitted: 0, terminal: [], attempts: [] }));
    return task;
  };
  for (const event of events) {
    if (!event.taskId) continue;
    const task = of(event.taskId);
    if (event.event === 'task.submitted') task.submitted += 1;
    else if (event.event === 'task.attempt') task.attempts.push(event);
    else if (TERMINAL_EVENTS.has(event.event)) task.terminal.push(event.event);
  }
  const all = [...tasks.values()].filter((task) => task.submitted > 0);
  const count = (name) => all.filter((task) => task.terminal.length === 1 && task.terminal[0] === name).length;
  return {
    tasks: all,
    submitted: all.length,
    completed: count('task.completed'),
    failed: count('task.failed'),
    interrupted: count('task.interrupted'),
    cancelled: count('task.cancelled'),
    unfinished: all.filter((task) => task.terminal.length === 0),
    /** More than one terminal event: the task ended twice. */
    duplicated: all.filter((task) => task.terminal.length > 1),
    completedTwice: all.filter((task) => task.terminal.filter((name) => name === 'task.completed').length > 1),
  };
}
