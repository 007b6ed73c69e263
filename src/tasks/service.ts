import type { LedgerEvent } from '../ledger/events.js';
import type { StatsRow } from '../ledger/stats.js';
import type { TaskProgress, TaskResult, TaskStatus } from '../protocol/task.js';
import type { RouteDecision } from '../router/router.js';

/** What the task core streams to /v1/events and `lightning run`: every ledger event, plus progress. */
export type TaskEvent = LedgerEvent | { event: 'task.progress'; taskId: string; ts: string; agent: string; instance: number; progress: TaskProgress };

export interface SubmitRequest {
  input: string;
  agent?: string | undefined;
  timeoutMs?: number | undefined;
}

/** The task side of the supervisor, as the control API (and the fleet's A2A endpoint) serve it. */
export interface TaskService {
  /** Starts the task; `durable` settles once its submission is on disk. */
  submit(request: SubmitRequest): Promise<{ id: string; durable: Promise<void> }>;
  result(id: string): TaskResult | null;
  list(options: { limit: number; status?: TaskStatus | undefined }): TaskResult[];
  whenDone(id: string): Promise<TaskResult | null>;
  cancel(id: string): 'cancelling' | 'finished' | 'not-found';
  feedback(id: string, rating: 'good' | 'bad', note: string | null): Promise<'recorded' | 'not-finished' | 'not-found'>;
  /** Per agent and kind of task: tasks, success, latency, share (what `lightning stats` shows). */
  stats(since: number | null): StatsRow[];
  /** Where a task would go and why, without running it. */
  route(input: string, agent: string | undefined): RouteDecision;
  /** Every task and agent event; returns an unsubscribe function. */
  subscribe(listener: (event: { event: string; taskId?: string }) => void): () => void;
  /** False while the supervisor is stopping. */
  accepting(): boolean;
}

/** Thrown by submit() and route() for a request the client must fix (unknown agent): answered with 400. */
export class TaskRequestError extends Error {}
