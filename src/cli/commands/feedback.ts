import { ApiClient } from '../../api/client.js';
import { readEvents, TaskIndex } from '../../ledger/reader.js';
import { TERMINAL_STATUSES } from '../../protocol/task.js';
import { acquireLock, releaseLock } from '../../state/supervisor-file.js';
import type { GlobalOptions } from '../context.js';
import { findRunningSupervisor, resolveStateContext } from '../context.js';
import { EXIT, ExitError } from '../exit-error.js';
import { resolveTaskId } from '../task-id.js';
import { ensureStateDir } from './state-dir.js';

export interface FeedbackOptions extends GlobalOptions {
  note?: string;
}

/**
 * `lightning feedback ID good|bad`: the user's verdict on a finished task, a ledger event the
 * learned router uses. Through the running supervisor; with none running, appended to the ledger
 * directly under the state directory's lock (so no supervisor can start and write meanwhile).
 */
export async function feedbackCommand(given: string, rating: string, options: FeedbackOptions): Promise<void> {
  if (rating !== 'good' && rating !== 'bad') throw new ExitError(`rating must be "good" or "bad", not "${rating}"`, EXIT.usage);
  const note = options.note ?? null;
  const { paths } = resolveStateContext(options);
  const id = await resolveTaskId(given, paths.ledger);
  const info = await findRunningSupervisor(paths);
  if (info) {
    const response = await new ApiClient(info).feedback(id, rating, note);
    if (response.status !== 201) throw new ExitError(response.body.message ?? `HTTP ${response.status}`, EXIT.failed);
  } else {
    ensureStateDir(paths);
    const lock = acquireLock(paths);
    if (!lock.ok) throw new ExitError(`a supervisor (pid ${lock.holder}) is starting; try again in a moment`);
    try {
      const task = new TaskIndex(readEvents(paths.ledger)).get(id);
      if (!task) throw new ExitError(`no task with id ${id} (see \`lightning tasks\`)`);
      if (!TERMINAL_STATUSES.has(task.status)) throw new ExitError(`task ${id} has not ended (${task.status})`);
      const { LedgerWriter } = await import('../../ledger/writer.js');
      const writer = LedgerWriter.open(paths.ledger);
      await writer.append({ taskId: id, event: 'feedback', rating, note });
      await writer.close();
    } finally {
      releaseLock(paths);
    }
  }
  process.stdout.write(`recorded: ${id} was ${rating}${note ? ` (${note})` : ''}\n`);
}
