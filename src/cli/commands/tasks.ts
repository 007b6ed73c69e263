import path from 'node:path';
import { ApiClient } from '../../api/client.js';
import type { TaskResult, TaskStatus } from '../../protocol/task.js';
import { TASK_STATUSES } from '../../protocol/task.js';
import type { GlobalOptions } from '../context.js';
import { findRunningSupervisor, resolveStateContext } from '../context.js';
import { EXIT, ExitError } from '../exit-error.js';
import { renderTaskList } from '../render/task-view.js';

const STATUSES: readonly TaskStatus[] = TASK_STATUSES;

export interface TasksOptions extends GlobalOptions {
  status?: string;
  lines?: string;
  json?: boolean;
}

/**
 * `lightning tasks`: the newest tasks, from the running supervisor or, with none running,
 * straight from the ledger (read backwards, so a huge ledger costs only what is shown).
 */
export async function tasksCommand(options: TasksOptions): Promise<void> {
  const limit = Number(options.lines ?? '20');
  if (!Number.isInteger(limit) || limit < 1) throw new ExitError(`bad -n "${options.lines}": use a whole number ≥ 1`, EXIT.usage);
  const status = options.status as TaskStatus | undefined;
  if (status !== undefined && !STATUSES.includes(status)) throw new ExitError(`bad --status "${status}": use one of ${STATUSES.join(', ')}`, EXIT.usage);
  const { paths } = resolveStateContext(options);
  const info = await findRunningSupervisor(paths);
  let tasks: TaskResult[];
  if (info) {
    tasks = (await new ApiClient(info).listTasks({ limit, status })).body.tasks;
  } else {
    const { readRecentTasks, toTaskResult } = await import('../../ledger/reader.js');
    tasks = readRecentTasks(paths.ledger, { limit, ...(status ? { status } : {}) }).map((view) => toTaskResult(view));
  }
  if (options.json) process.stdout.write(JSON.stringify({ tasks }, null, 2) + '\n');
  else if (tasks.length === 0) process.stderr.write(`no tasks${status ? ` with status ${status}` : ''} in ${paths.ledger}\n`);
  else process.stdout.write(renderTaskList(tasks) + '\n');
}

/** `lightning task ID`: one task in full. */
export async function taskCommand(given: string, options: GlobalOptions & { json?: boolean }): Promise<void> {
  const { paths } = resolveStateContext(options);
  const [{ resolveTaskId }, { renderTaskDetail }] = await Promise.all([import('../task-id.js'), import('../render/task-detail.js')]);
  const id = await resolveTaskId(given, paths.ledger);
  const task = await findTask(id, paths.ledger, await findRunningSupervisor(paths));
  if (options.json) process.stdout.write(JSON.stringify(task, null, 2) + '\n');
  else process.stdout.write(renderTaskDetail(task, path.join(paths.workspacesDir, task.id)) + '\n');
}

/** `lightning cancel ID` */
export async function cancelCommand(given: string, options: GlobalOptions): Promise<void> {
  const { paths } = resolveStateContext(options);
  const { resolveTaskId } = await import('../task-id.js');
  const id = await resolveTaskId(given, paths.ledger);
  const info = await findRunningSupervisor(paths);
  if (!info) throw new ExitError(`no supervisor running for ${paths.home}: no task is running`, EXIT.noSupervisor);
  const response = await new ApiClient(info).cancelTask(id);
  if (response.status === 202) {
    process.stdout.write(`cancelling ${id}\n`);
    return;
  }
  throw new ExitError(response.body.message ?? `HTTP ${response.status}`, EXIT.failed);
}

async function findTask(id: string, ledger: string, info: Awaited<ReturnType<typeof findRunningSupervisor>>): Promise<TaskResult> {
  if (info) {
    const response = await new ApiClient(info).getTask(id);
    if (response.status === 200) return response.body;
  } else {
    const { readEvents, deriveTasks, toTaskResult } = await import('../../ledger/reader.js');
    const views = deriveTasks(readEvents(ledger));
    const view = views.get(id);
    if (view) return toTaskResult(view, (child) => views.get(child));
  }
  throw new ExitError(`no task with id ${id} (see \`lightning tasks\`)`, EXIT.failed);
}
