import { ApiClient } from '../../api/client.js';
import type { GlobalOptions } from '../context.js';
import { findRunningSupervisor, resolveStateContext } from '../context.js';
import { EXIT, ExitError } from '../exit-error.js';
import { resolveTaskId } from '../task-id.js';

export interface ApprovalOptions extends GlobalOptions {
  note?: string;
}

/**
 * `lightning approve ID` / `lightning deny ID [--note TEXT]`: a person's decision on the tool call
 * a task waits with, through the running supervisor's control API (the only way one is taken).
 * A denied call comes back to the model as a tool error carrying the note.
 */
export async function approvalCommand(verdict: 'approved' | 'denied', given: string, options: ApprovalOptions): Promise<void> {
  const { paths } = resolveStateContext(options);
  const id = await resolveTaskId(given, paths.ledger);
  const info = await findRunningSupervisor(paths);
  if (!info) throw new ExitError(`no supervisor running for ${paths.home}: no task is awaiting approval`, EXIT.noSupervisor);
  const response = await new ApiClient(info).decideApproval(id, verdict, options.note ?? null);
  if (response.status === 200) {
    process.stdout.write(`${verdict === 'approved' ? 'approved' : 'denied'}: ${id}${options.note ? ` (${options.note})` : ''}\n`);
    return;
  }
  throw new ExitError(response.body.message ?? `HTTP ${response.status}`, EXIT.failed);
}
