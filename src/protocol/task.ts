/** Task shapes shared by the worker, the supervisor, the ledger and the CLI. */

export type TerminalStatus = 'completed' | 'failed' | 'cancelled' | 'timeout' | 'interrupted';
/**
 * `waiting`: no healthy instance of its agent yet (restarting); see `TaskResult.waiting`.
 * `awaiting-approval`: a tool call waits for a person (`lightning approve|deny`); see `TaskResult.approval`.
 */
export type TaskStatus = 'submitted' | 'waiting' | 'running' | 'awaiting-approval' | TerminalStatus;

export const TASK_STATUSES: readonly TaskStatus[] = ['submitted', 'waiting', 'running', 'awaiting-approval', 'completed', 'failed', 'cancelled', 'timeout', 'interrupted'];

export const TERMINAL_STATUSES: ReadonlySet<TaskStatus> = new Set<TerminalStatus>(['completed', 'failed', 'cancelled', 'timeout', 'interrupted']);

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** What one task may spend; null: no limit. */
export interface TaskBudget {
  tokens: number | null;
  /** USD, counted with the model's price (agents.yaml `prices:`). */
  cost: number | null;
  timeMs: number | null;
}

/** What the supervisor gives a worker with a task: what is left of its budget, and its model's price. */
export interface WorkerBudget extends TaskBudget {
  price: ModelPrice | null;
}

/** USD per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

/** What a model call cost, in USD; null without a price for the model. */
export function costOf(usage: TokenUsage | null, price: ModelPrice | null): number | null {
  if (price === null) return null;
  if (usage === null) return 0;
  return (usage.promptTokens * price.input + usage.completionTokens * price.output) / 1_000_000;
}

/** One try of a task on one instance. */
export interface AttemptRecord {
  agent: string;
  instance: number;
  status: 'completed' | 'failed' | 'cancelled' | 'timeout';
  error: string | null;
  durationMs: number;
}

/** What a worker reports when a task ends (carried in the A2A task's final status/artifact). */
export interface WorkerOutcome {
  status: 'completed' | 'failed' | 'cancelled' | 'timeout';
  output: string;
  error: string | null;
  usage: TokenUsage | null;
  /** Paths relative to the task's workspace that the task wrote. */
  files: string[];
  /**
   * `config`: the agent could not try at all — no model endpoint, or no (or a rejected) key. Says
   * nothing of how well the agent does the task, so it never counts in learning or `stats`.
   */
  failure?: 'config' | 'budget';
}

/** Progress a worker streams while a task runs. */
export type TaskProgress =
  | { kind: 'step'; step: number }
  | { kind: 'delta'; text: string }
  | { kind: 'tool-call'; tool: string; args: string }
  | { kind: 'tool-result'; tool: string; ok: boolean; summary: string }
  /** A model call left one provider for the next (`from`/`to` are "<model> at <endpoint>"). */
  | { kind: 'failover'; from: string; to: string; reason: string }
  /** A model call was refused for the model's own output (a tool call the server cannot parse) and is tried once more. */
  | { kind: 'retry'; reason: string }
  /**
   * A tool call needs a person's approval: the worker waits (its task timer paused) until the
   * supervisor sends the decision (see ApprovalDecisionMessage). `args` are redacted.
   */
  | { kind: 'approval'; id: string; tool: string; args: string };

/** What a person (or the approval timeout) decided about one tool call. */
export type ApprovalVerdict = 'approved' | 'denied' | 'timeout';

/** What became of a tool call that waited for a person (in the worker). */
export interface ApprovalAnswer {
  verdict: ApprovalVerdict;
  note: string | null;
}

/**
 * The decision as the supervisor sends it to the worker: an A2A message to the worker's task whose
 * metadata.lightning.approval is this. `key` is the attempt's approval key, which only the
 * supervisor and that worker know (sent in the task's own metadata), so no other holder of the
 * worker token — another agent — can decide.
 */
export interface ApprovalDecisionMessage {
  id: string;
  key: string;
  verdict: ApprovalVerdict;
  note: string | null;
}

/** One tool call that asked for approval: `verdict` null while it waits (or when the task ended first). */
export interface ApprovalRecord {
  id: string;
  tool: string;
  args: string;
  requestedAt: string;
  verdict: ApprovalVerdict | null;
  by: string | null;
  note: string | null;
}

/** A tool call waiting for a person (`TaskResult.approval`, `status`, the dashboard). */
export interface PendingApproval {
  /** The approval's id (one per tool call). */
  id: string;
  tool: string;
  /** The call's arguments as the model gave them, secrets redacted. */
  args: string;
  agent: string;
  instance: number;
  since: string;
  /** When the approval timeout denies it. */
  deadline: string;
}

/**
 * How a routing decision was made: exploit = the best learned value; explore = an agent with no
 * record tried instead of the static pick, or the static pick re-tried although another's record
 * is better; fallback = the fallback agent tried as a last resort because every plausible agent
 * fails; forced = the caller named the agent.
 */
export type DecisionKind = 'exploit' | 'explore' | 'fallback' | 'forced';

/** One agent as the router weighed it for a task. */
export interface RouteCandidate {
  agent: string;
  /** Capability match, 0..1. */
  score: number;
  /** Learned probability of success for tasks like this one; null without learning. */
  estimate?: number | null;
  /** Effective number of past outcomes behind the estimate. */
  evidence?: number;
  /** What the learned policy compared (estimate + match credit + the static pick's trust). */
  value?: number | null;
}

/** Why a task went where it went (its first routing). */
export interface RouteRecord {
  candidates: RouteCandidate[];
  reason: string;
  static: string | null;
  explored: boolean;
  /** Absent in records written before decision kinds were recorded. */
  decision?: DecisionKind;
}

/** `lightning run --json` and `POST /v1/tasks {wait:true}`. */
export interface TaskResult {
  id: string;
  agent: string | null;
  instance: number | null;
  status: TaskStatus;
  input: string;
  output: string | null;
  error: string | null;
  attempts: AttemptRecord[];
  durationMs: number | null;
  usage: TokenUsage | null;
  files: string[];
  submittedAt: string;
  finishedAt: string | null;
  routing: RouteRecord | null;
  /** While the task waits for a healthy instance of an agent: which, since when, why; else null. */
  waiting: TaskWaiting | null;
  /** While a tool call of the task waits for a person's approval; absent or null otherwise. */
  approval?: PendingApproval | null;
  /** Every tool call of the task that asked for approval, and what became of it; absent when none did. */
  approvals?: ApprovalRecord[];
  /**
   * Why a failed task failed: `error`, `timeout`, `no-agent`, or `config` (no model endpoint or key
   * — never counted against the agent); null unless failed. Absent from older supervisors.
   */
  failure?: string | null;
  /** USD the task spent, from its model's price (agents.yaml `prices:`); absent without one. */
  cost?: number | null;
  /** A team task: planned into steps (its subtasks), each a task of its own. */
  team?: boolean;
  /** Why the router ran it as a team (automatic teaming); absent when the caller asked for one. */
  teamReason?: string;
  /** A team task's steps, in the order they were submitted. */
  steps?: TeamStep[];
  /** A team step: its team task, and what it is there. */
  parentId?: string;
  role?: 'plan' | 'subtask' | 'combine' | null;
  subtask?: string | null;
}

/** One step of a team task (`TaskResult.steps`): the plan, a subtask, or the combined answer. */
export interface TeamStep {
  /** The step's own task id. */
  id: string;
  role: 'plan' | 'subtask' | 'combine';
  /** The subtask's id in the plan; null for plan and combine. */
  subtask: string | null;
  dependsOn: string[];
  input: string;
  status: TaskStatus;
  agent: string | null;
  output: string | null;
  error: string | null;
  durationMs: number | null;
  usage: TokenUsage | null;
  cost: number | null;
  files: string[];
}

export interface TaskWaiting {
  agent: string;
  since: string;
  reason: string;
  message: string;
}
