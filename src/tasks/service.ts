import type { ApprovalDecider, FleetEvent, TaskEvent } from '../protocol/events.js';
import type { SpendRow, StatsRow } from '../ledger/stats.js';
import type { TaskBudget, TaskResult, TaskStatus } from '../protocol/task.js';
import type { RouteDecision } from '../router/router.js';

/** What the task core streams to /v1/events and `lightning run`: every ledger event, plus progress. */
export type { TaskEvent };

export interface SubmitRequest {
  input: string;
  agent?: string | undefined;
  timeoutMs?: number | undefined;
  /**
   * true: plan it into subtasks for several agents (see team-run.ts); false: one agent, whatever the
   * router proposes; absent: a team when the router proposes one (routing.autoTeam).
   */
  team?: boolean | undefined;
  /** What it may spend; each limit given replaces the agent's `task.budget` one. */
  budget?: Partial<TaskBudget> | undefined;
  /** The caller's W3C trace context (its `traceparent` header): the task's span joins that trace. */
  traceparent?: string | undefined;
}

/** Hears one task's events. */
export type TaskListener = (event: TaskEvent) => void;

export interface Submitted {
  id: string;
  /**
   * Asks for the submission to be written now (it is otherwise due within LEDGER_SOON_MS, or with
   * the task's end) and settles once it is on disk: what a 202 waits for.
   */
  durable(): Promise<void>;
  /** Stops the submit's `onEvent` (a no-op without one). */
  unsubscribe(): void;
}

/** The task side of the supervisor, as the control API (and the fleet's A2A endpoint) serve it. */
export interface TaskService {
  /**
   * Starts the task; `durable()` settles once its submission is on disk. `onEvent` hears every event
   * of this task from its first (it is on before the task starts) until `unsubscribe()`.
   */
  submit(request: SubmitRequest, onEvent?: TaskListener): Promise<Submitted>;
  result(id: string): TaskResult | null;
  list(options: { limit: number; status?: TaskStatus | undefined }): TaskResult[];
  whenDone(id: string): Promise<TaskResult | null>;
  cancel(id: string): 'cancelling' | 'finished' | 'not-found';
  /** A person's decision on the tool call the task waits with (`lightning approve|deny`). */
  decideApproval(id: string, verdict: 'approved' | 'denied', by: Exclude<ApprovalDecider, 'timeout'>, note: string | null): 'decided' | 'not-waiting' | 'not-found';
  feedback(id: string, rating: 'good' | 'bad', note: string | null): Promise<'recorded' | 'not-finished' | 'not-found'>;
  /** Per agent and kind of task: tasks, success, latency, share (what `lightning stats` shows). */
  stats(since: number | null): StatsRow[];
  /** Tokens and cost per agent over every task that spent any, team steps included (`stats`' spending table). */
  spend(since: number | null): SpendRow[];
  /** Where a task would go and why, without running it. */
  route(input: string, agent: string | undefined): RouteDecision;
  /**
   * Every task and agent event, or with `taskId` only that task's — task events, and typed so —
   * (looked up by id: a stream of one task costs nothing per event of another); returns an
   * unsubscribe function.
   */
  subscribe(listener: TaskListener, filter: { taskId: string }): () => void;
  subscribe(listener: (event: FleetEvent) => void, filter?: { taskId?: string | undefined }): () => void;
  /** False while the supervisor is stopping. */
  accepting(): boolean;
}

/** Thrown by submit() and route() for a request the client must fix (unknown agent): answered with 400. */
export class TaskRequestError extends Error {}
