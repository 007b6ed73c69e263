import type { LedgerEventBody } from '../protocol/events.js';
import type { TokenUsage } from '../protocol/task.js';
import type { TerminalTaskState } from './task-state.js';

/** What a task spent: its tokens, and their cost when its model has a price. */
export interface Spent {
  usage: TokenUsage | null;
  cost: number | null;
}

/** What a completed task produced, as the ledger keeps it (output already redacted and stored). */
export interface Produced extends Spent {
  output: string;
  outputFile: string | null;
  files: string[];
}

/**
 * The one ledger record a task ends with, from its terminal state: the same for a single task
 * (task-run.ts) and a team (team-run.ts), which differ only in where the facts come from — the
 * worker's outcome, or the sum of the team's steps. `produced` is required for `completed`;
 * `spent` goes on a failure when it is known (a budget failure always says what it spent).
 */
export function terminalRecord(state: TerminalTaskState, durationMs: number, facts: { produced?: Produced; spent?: Spent | null }): LedgerEventBody {
  switch (state.name) {
    case 'completed': {
      const produced = facts.produced ?? { output: '', outputFile: null, files: [], usage: null, cost: null };
      return {
        event: 'task.completed', agent: state.agent, instance: state.instance,
        output: produced.output, outputFile: produced.outputFile, usage: produced.usage, ...costOf(produced), files: produced.files, durationMs,
      };
    }
    case 'failed':
      return { event: 'task.failed', reason: state.reason, error: state.error, durationMs, ...(facts.spent ? { usage: facts.spent.usage, ...costOf(facts.spent) } : {}) };
    case 'cancelled':
      return { event: 'task.cancelled', by: state.by, durationMs };
    case 'interrupted':
      return { event: 'task.interrupted', error: state.error };
    default: {
      const unknown: never = state;
      throw new Error(`unexpected terminal state ${JSON.stringify(unknown)}`);
    }
  }
}

/** A cost is recorded only when known (no `cost` key without a price). */
function costOf(spent: Spent): { cost?: number } {
  return spent.cost === null ? {} : { cost: spent.cost };
}
