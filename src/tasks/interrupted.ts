import { findUnfinished } from '../ledger/unfinished.js';
import { LedgerWriter } from '../ledger/writer.js';

export const INTERRUPTED_ERROR = 'the supervisor stopped before the task ended';

/**
 * Tasks that were in flight when the previous supervisor died cannot finish: records them as
 * interrupted, durably, before the new supervisor opens its API or reports ready, so no one ever
 * sees them running. Uses the ledger's quick scan, not the full load (which comes later).
 * Returns the ids marked.
 */
export async function markInterrupted(ledgerFile: string): Promise<string[]> {
  const ids = findUnfinished(ledgerFile);
  if (ids.length === 0) return ids;
  const writer = LedgerWriter.open(ledgerFile);
  try {
    await Promise.all(ids.map((taskId) => writer.append({ taskId, event: 'task.interrupted', error: INTERRUPTED_ERROR })));
  } finally {
    await writer.close();
  }
  return ids;
}
