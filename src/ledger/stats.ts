import type { TaskView } from './reader.js';

export interface StatsRow {
  agent: string;
  kind: string;
  tasks: number;
  completed: number;
  failed: number;
  /** completed / (completed + failed + timeout); null with no finished task. */
  successRate: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  /** This agent's part of all tasks of this kind. */
  share: number;
  /** Tokens its tasks used, and their cost in USD (null: no price for the agent's model). */
  tokens: number;
  cost: number | null;
  /**
   * What the router has learned about this agent on the kind's latest task (the numbers `route`
   * shows: posterior estimate and the similar outcomes behind it); null when not asked for.
   */
  learned: LearnedNumbers | null;
}

/**
 * What the router learned (router/policy.ts learnedRate) and, from the supervisor, its one wording
 * (describeRecord: "56 % over 4.2 similar outcomes") so a page without our code says the same.
 */
export interface LearnedNumbers {
  estimate: number | null;
  evidence: number;
  text?: string;
}

/** The router's learned record of an agent on a task like `input`. */
export type LearnedRecord = (input: string, agent: string) => LearnedNumbers | null;

/**
 * Per agent and kind of task: how many, how well, how fast, and what share of the kind's traffic
 * went to the agent — the numbers that show the router learning. Only finished tasks that reached
 * an agent count; cancelled ones count as traffic but not for success.
 */
export function computeStats(tasks: Iterable<TaskView>, classify: (input: string) => string, since: number | null, learned: LearnedRecord | null = null): StatsRow[] {
  // Inputs repeat (retries, the same request again): classify each distinct one once.
  const kinds = new Map<string, string>();
  const kindOf = (input: string): string => {
    let kind = kinds.get(input);
    if (kind === undefined) kinds.set(input, (kind = classify(input)));
    return kind;
  };
  const groups = new Map<string, { agent: string; kind: string; views: TaskView[] }>();
  const perKind = new Map<string, number>();
  for (const task of tasks) {
    if (!task.agent || task.status === 'submitted' || task.status === 'running' || task.status === 'awaiting-approval') continue;
    // No model endpoint or key: the fleet's configuration, not the agent's record.
    // Nor a budget that ran out (the user's limit), nor a team task or its plan and combine steps
    // (its subtasks count, each for its own agent).
    if (task.failure === 'config' || task.failure === 'budget' || task.team || task.role === 'plan' || task.role === 'combine') continue;
    if (since !== null && Date.parse(task.submittedAt) < since) continue;
    const kind = kindOf(task.input);
    const key = `${task.agent}\u0000${kind}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { agent: task.agent, kind, views: [] }));
    group.views.push(task);
    perKind.set(kind, (perKind.get(kind) ?? 0) + 1);
  }
  const rows = [...groups.values()].map(({ agent, kind, views }) => {
    const completed = views.filter((view) => view.status === 'completed');
    const failed = views.filter((view) => view.status === 'failed' || view.status === 'timeout').length;
    const durations = completed.map((view) => view.durationMs ?? 0).sort((a, b) => a - b);
    return {
      agent,
      kind,
      tasks: views.length,
      completed: completed.length,
      failed,
      successRate: completed.length + failed === 0 ? null : completed.length / (completed.length + failed),
      p50Ms: percentile(durations, 0.5),
      p95Ms: percentile(durations, 0.95),
      share: views.length / (perKind.get(kind) ?? views.length),
      tokens: views.reduce((sum, view) => sum + (view.usage?.totalTokens ?? 0), 0),
      cost: views.some((view) => view.cost !== null) ? views.reduce((sum, view) => sum + (view.cost ?? 0), 0) : null,
      learned: learned ? learned(latest(views).input, agent) : null,
    };
  });
  return rows.sort((a, b) => a.kind.localeCompare(b.kind) || b.tasks - a.tasks);
}

/** The most recently submitted of a group (the index lists newest first, the ledger oldest first). */
function latest(views: readonly TaskView[]): TaskView {
  return views.reduce((a, b) => (Date.parse(b.submittedAt) >= Date.parse(a.submittedAt) ? b : a));
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? null;
}

/** What one agent's tasks spent (`lightning stats`' spending table, /v1/stats `spend`, the dashboard). */
export interface SpendRow {
  agent: string;
  /** Tasks that ran on it and spent anything. */
  tasks: number;
  tokens: number;
  /** USD; null when no task of it had a price. */
  cost: number | null;
}

/**
 * Where the tokens and money went, per agent: every task that spent any — team steps (the plan and
 * combine calls too) and tasks that ran out of budget, which the success rows above leave out. A
 * team task counts in its steps only (its own total is their sum), so nothing is counted twice.
 */
export function computeSpend(tasks: Iterable<TaskView>, since: number | null): SpendRow[] {
  const byAgent = new Map<string, SpendRow>();
  for (const task of tasks) {
    if (task.team || task.usage === null) continue;
    if (since !== null && Date.parse(task.submittedAt) < since) continue;
    const agent = task.agent ?? task.attempts.at(-1)?.agent ?? 'none';
    let row = byAgent.get(agent);
    if (!row) byAgent.set(agent, (row = { agent, tasks: 0, tokens: 0, cost: null }));
    row.tasks += 1;
    row.tokens += task.usage.totalTokens;
    if (task.cost !== null) row.cost = (row.cost ?? 0) + task.cost;
  }
  return [...byAgent.values()].sort((a, b) => b.tokens - a.tokens || a.agent.localeCompare(b.agent));
}
