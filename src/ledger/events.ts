import type { AttemptRecord, TokenUsage } from '../protocol/task.js';

/**
 * The ledger's events: one JSON object per line of `.lightning/ledger.jsonl`, keyed by `event`.
 * A task's state is derived from its events; nothing else stores it.
 */
export type LedgerEventBody =
  | { event: 'task.submitted'; input: string; agent: string | null; timeoutMs: number }
  | {
      event: 'task.routed';
      attempt: number;
      agent: string;
      instance: number;
      /** Every candidate considered, best first, with its match score. */
      candidates: Array<{ agent: string; score: number }>;
      reason: string;
    }
  | ({ event: 'task.attempt'; attempt: number } & AttemptRecord)
  | {
      event: 'task.completed';
      agent: string;
      instance: number;
      output: string;
      /** Set when the output was larger than the ledger keeps: the whole text is in the workspace. */
      outputFile: string | null;
      usage: TokenUsage | null;
      files: string[];
      durationMs: number;
    }
  | { event: 'task.failed'; reason: 'error' | 'timeout' | 'no-agent'; error: string; durationMs: number }
  | { event: 'task.cancelled'; by: 'user' | 'api'; durationMs: number }
  | { event: 'task.interrupted'; error: string }
  | { event: 'feedback'; rating: 'good' | 'bad'; note: string | null };

export type LedgerEvent = { v: 1; ts: string; taskId: string } & LedgerEventBody;
export type LedgerEventName = LedgerEvent['event'];
