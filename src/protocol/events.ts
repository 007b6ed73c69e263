import type { ApprovalVerdict, AttemptRecord, DecisionKind, RouteCandidate, TaskProgress, TokenUsage } from './task.js';

/**
 * The ledger's events: one JSON object per line of `.lightning/ledger.jsonl`, keyed by `event`.
 * A task's state is derived from its events; nothing else stores it.
 */
/**
 * Why a task failed. `config`: the agent had no model endpoint or key — the fleet's
 * configuration, which never counts against the agent in learning or `stats`.
 */
export type TeamRole = 'plan' | 'subtask' | 'combine';

/** Where an approval decision came from: `lightning approve|deny`, the dashboard, another control API client, or the timeout. */
export type ApprovalDecider = 'cli' | 'dashboard' | 'api' | 'timeout';

export type FailureReason = 'error' | 'timeout' | 'no-agent' | 'config' | 'budget';

export type LedgerEventBody =
  | {
      event: 'task.submitted';
      input: string;
      agent: string | null;
      timeoutMs: number;
      /** A team task: planned into subtasks, which are tasks of their own with this one as parent. */
      team?: true;
      /** Set when the router proposed the team (automatic teaming, `routing.autoTeam`): why. */
      teamReason?: string;
      /** Set on a team's steps: the team task they belong to. */
      parentId?: string;
      /** What a team step is: the plan, one subtask of it, or the combined answer. */
      role?: TeamRole;
      /** A subtask's id in the plan. */
      subtask?: string;
    }
  /** A team task's plan, as validated: each subtask with its agent (or capabilities) and dependencies. */
  | { event: 'task.planned'; planner: string; subtasks: Array<{ id: string; agent: string | null; capabilities: string[]; dependsOn: string[] }> }
  | {
      event: 'task.routed';
      attempt: number;
      agent: string;
      instance: number;
      /** Every candidate considered, in the order they would be tried, with match score and learned estimate. */
      candidates: RouteCandidate[];
      reason: string;
      /** What static capability matching alone would have picked. */
      static?: string;
      /** Picked to explore (learned policy) rather than as the best estimate. */
      explored?: boolean;
      /** How the first choice was made (replay and metrics read it); absent in older records. */
      decision?: DecisionKind;
      /** Probability of the choice under the policy that made it (1: deterministic), for off-policy estimates. */
      probability?: number;
      /** Agents earlier in the failover order that the task left, and why (failed, stopped, queue timeout…). */
      passedOver?: Array<{ agent: string; reason: string; message: string }>;
    }
  /** The task waits for a healthy instance of `agent` (restarting, or its worker died mid-attempt). */
  | { event: 'task.waiting'; agent: string; reason: string; message: string }
  | ({
      event: 'task.attempt';
      attempt: number;
      /** The attempt failed for the instance's sake (died, refused, unreachable), not the agent's work. */
      transport?: boolean;
      /** The agent could not try: no model endpoint or key (the fleet's configuration, not its work). */
      config?: boolean;
      /** The task's budget ran out: the user's limit, not the agent's work. */
      budget?: boolean;
    } & AttemptRecord)
  | {
      event: 'task.completed';
      agent: string;
      instance: number;
      output: string;
      /** Set when the output was larger than the ledger keeps: the whole text is in the workspace. */
      outputFile: string | null;
      usage: TokenUsage | null;
      /** USD, from the model's price (agents.yaml `prices:`); absent or null without one. */
      cost?: number | null;
      files: string[];
      durationMs: number;
    }
  /** `usage` and `cost`: what the task spent, when known (a budget failure always says). */
  | { event: 'task.failed'; reason: FailureReason; error: string; durationMs: number; usage?: TokenUsage | null; cost?: number | null }
  | { event: 'task.cancelled'; by: 'user' | 'api'; durationMs: number }
  | { event: 'task.interrupted'; error: string }
  | { event: 'feedback'; rating: 'good' | 'bad'; note: string | null }
  /** A tool call waits for a person: `lightning approve|deny ID`, or `timeoutMs` denies it. `args` are redacted. */
  | { event: 'approval.requested'; approvalId: string; agent: string; instance: number; tool: string; args: string; timeoutMs: number }
  /**
   * What became of it: approved or denied by a person (`by`: where they decided), or denied by the
   * approval timeout (`verdict: 'timeout'`, `by: 'timeout'`).
   */
  | { event: 'approval.decided'; approvalId: string; tool: string; verdict: ApprovalVerdict; by: ApprovalDecider; note: string | null; waitedMs: number }
  /** An alert rule fired or resolved; not about one task, so its taskId is empty. */
  | { event: 'alert'; state: 'firing' | 'resolved'; rule: string; agent: string; message: string; value: number; threshold: number }
  /** agents.yaml was reloaded (applied) or a new version was refused (invalid); taskId is empty. */
  | { event: 'config'; state: 'applied' | 'invalid'; message: string }
  /** A user restarted, stopped or started an agent (`lightning restart|stop|start`); taskId is empty. */
  | { event: 'control'; action: 'restart' | 'stop' | 'start'; agent: string; instance: number | null; message: string };

/** Supervisor-level events (not about one task) recorded with an empty taskId. */
export type SystemEventBody = Extract<LedgerEventBody, { event: 'config' } | { event: 'control' }>;

export type LedgerEvent = { v: 1; ts: string; taskId: string } & LedgerEventBody;
export type LedgerEventName = LedgerEvent['event'];

export type AlertRule = 'agent-unhealthy' | 'restart-rate' | 'failure-rate' | 'latency-p95';

/** An alert rule's state change (supervisor/alerts.ts evaluates the rules). */
export interface Alert {
  rule: AlertRule;
  agent: string;
  state: 'firing' | 'resolved';
  message: string;
  value: number;
  threshold: number;
  /** When the alert fired (kept on its resolution). */
  since: string;
  at: string;
}

/** An instance changed state (not in the ledger: `status` and the event stream carry it). */
export interface AgentStateEvent {
  event: 'agent.state';
  ts: string;
  agent: string;
  instance: number;
  state: string;
  pid: number | null;
  restarts: number;
  lastExit: string | null;
}

/** An alert fired or resolved, as the event stream carries it. */
export type AlertEvent = Alert & { event: 'alert.fired' | 'alert.resolved' };

/** A task's live progress from its worker (streamed, not kept in the ledger). */
export interface TaskProgressEvent {
  event: 'task.progress';
  taskId: string;
  ts: string;
  agent: string;
  instance: number;
  progress: TaskProgress;
}

/** What the task core emits: its ledger records, and progress as it comes. */
export type TaskEvent = LedgerEvent | TaskProgressEvent;

/** A reload's outcome on the event stream (the ledger keeps it as `config`). */
export type ConfigStreamEvent = Omit<Extract<LedgerEventBody, { event: 'config' }>, 'event'> & { event: 'config.applied' | 'config.invalid' };
/** `lightning restart|stop|start` on the event stream (the ledger keeps it as `control`). */
export type ControlStreamEvent = Omit<Extract<LedgerEventBody, { event: 'control' }>, 'event'> & { event: 'agent.restart' | 'agent.stop' | 'agent.start' };

/**
 * Everything the fleet tells its listeners, one union: the task core's events, the supervisor's
 * own (reloads, control), and the live-only agent states and alerts. The API's SSE, the CLI, the
 * dashboard, the A2A endpoint and the metrics all read this type.
 */
export type FleetEvent = TaskEvent | ConfigStreamEvent | ControlStreamEvent | AgentStateEvent | AlertEvent;
export type FleetEventName = FleetEvent['event'];
