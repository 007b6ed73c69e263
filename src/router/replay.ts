/**
 * Off-policy replay: what a routing policy would have chosen for the tasks in the ledger, and how
 * well it would have done, estimated from what was logged.
 *
 * Each policy variant is a TaskRouter fed the ledger's events in order (so it learns from the
 * same outcomes the live router learned from); before each task's submission it is asked where
 * the task would go. Forced tasks (`--agent`) are left out: no policy chose them.
 *
 * Estimator: replay on observed choices (Li et al., 2011, "Unbiased offline evaluation of
 * contextual-bandit-based news article recommendation algorithms"), self-normalised inverse
 * propensity scoring where the log carries probabilities. A decision counts for a policy when
 * the agent that policy picks was actually tried on that task — as the logged first choice, or
 * later by failover — and its reward is that attempt's outcome (completed = 1, failed or timed
 * out = 0; the user's feedback on that agent's result overrides it). A first choice is weighted
 * 1 / p, p the probability the logging policy gave it (recorded with the decision; 1 for the
 * deterministic policy, which makes the estimate the plain mean); a failover attempt weighs 1.
 * Limits, said out loud: with a deterministic logging policy the estimate covers only the
 * decisions whose choice was tried ("evaluated"), and failover attempts happen only after the
 * first choice failed, on tasks that may be harder than average. The 95 % interval is Wilson's
 * score interval on the effective sample size (Σw)² / Σw².
 */
import type { LedgerEvent } from '../protocol/events.js';
import type { AgentProfile } from './match.js';
import { TaskRouter } from './router.js';

/** The variants a replay can evaluate: the learned policy as configured now, and static matching. */
export const REPLAY_POLICIES = ['current', 'static'] as const;
export type ReplayPolicy = (typeof REPLAY_POLICIES)[number];

export interface PolicyEstimate {
  policy: ReplayPolicy | 'logged';
  /** Decisions where this policy picks another first agent than the logged one. */
  differs: number;
  /** Decisions whose choice was tried, so the estimate can use them. */
  evaluated: number;
  /** Estimated first-attempt success rate; null when nothing could be evaluated. */
  success: number | null;
  /** 95 % interval of `success`. */
  low: number | null;
  high: number | null;
}

export interface ReplayDecision {
  taskId: string;
  ts: string;
  input: string;
  logged: string;
  /** The choice of each replayed policy. */
  choices: Record<string, string>;
}

export interface ReplayReport {
  /** Replayed decisions: unforced tasks routed since `since`. */
  decisions: number;
  since: string | null;
  estimator: string;
  policies: PolicyEstimate[];
  /** The latest decisions where a replayed policy differs from the log (newest last). */
  differing: ReplayDecision[];
}

interface Pending {
  decision: ReplayDecision;
  probability: number;
  /** Outcome per agent tried (1 / 0), the first choice's weight separately. */
  rewards: Map<string, number>;
  lastAgent: string | null;
}

export const ESTIMATOR =
  'replay on observed choices: a decision counts when the agent the policy picks was tried on that task (first choice or failover), weighted 1/p of the logged choice (self-normalised IPS; p = 1 for the deterministic policy); Wilson 95 % interval';

/**
 * Replays `events` (oldest first) through each policy in `policies`; only tasks submitted at or
 * after `since` (epoch ms) are evaluated, but every event teaches the routers.
 */
export function replayLedger(
  events: Iterable<LedgerEvent>,
  profiles: AgentProfile[],
  options: { policies: readonly ReplayPolicy[]; learn: boolean; since: number | null; keepDiffering?: number },
): ReplayReport {
  const routers = options.policies.map((policy) => ({ policy, router: new TaskRouter(() => ({ version: 0, profiles }), policy === 'current' ? options.learn : false) }));
  const tasks = new Map<string, Pending>();
  const done: Pending[] = [];
  const known = new Set(profiles.map((profile) => profile.name));
  for (const event of events) {
    if (event.event === 'task.submitted' && event.agent === null && (options.since === null || Date.parse(event.ts) >= options.since)) {
      const choices: Record<string, string> = {};
      for (const { policy, router } of routers) choices[policy] = router.route(event.input).pick;
      tasks.set(event.taskId, { decision: { taskId: event.taskId, ts: event.ts, input: event.input, logged: '', choices }, probability: 1, rewards: new Map(), lastAgent: null });
    }
    for (const { router } of routers) router.learnFrom(event);
    const task = tasks.get(event.taskId);
    if (!task) continue;
    switch (event.event) {
      case 'task.routed':
        if (event.attempt === 1 && task.decision.logged === '') {
          task.decision.logged = event.agent;
          task.probability = event.probability ?? 1;
        }
        break;
      case 'task.attempt':
        task.lastAgent = event.agent;
        if (event.transport || event.config || event.status === 'cancelled' || task.rewards.has(event.agent)) break;
        task.rewards.set(event.agent, event.status === 'completed' ? 1 : 0);
        break;
      case 'feedback':
        if (task.lastAgent) task.rewards.set(task.lastAgent, event.rating === 'good' ? 1 : 0);
        break;
      case 'task.completed':
      case 'task.failed':
      case 'task.cancelled':
      case 'task.interrupted':
        // Kept open for feedback that may follow; ended tasks are collected below.
        break;
      default:
        break;
    }
  }
  for (const task of tasks.values()) if (task.decision.logged !== '' && known.has(task.decision.logged)) done.push(task);
  const estimate = (policy: ReplayPolicy | 'logged'): PolicyEstimate => {
    let weights = 0;
    let squares = 0;
    let rewarded = 0;
    let evaluated = 0;
    let differs = 0;
    for (const task of done) {
      const choice = policy === 'logged' ? task.decision.logged : task.decision.choices[policy]!;
      if (choice !== task.decision.logged) differs += 1;
      const reward = task.rewards.get(choice);
      if (reward === undefined) continue;
      const weight = choice === task.decision.logged ? 1 / Math.max(task.probability, 1e-6) : 1;
      evaluated += 1;
      weights += weight;
      squares += weight * weight;
      rewarded += weight * reward;
    }
    if (evaluated === 0) return { policy, differs, evaluated, success: null, low: null, high: null };
    const success = rewarded / weights;
    const [low, high] = wilson(success, (weights * weights) / squares);
    return { policy, differs, evaluated, success, low, high };
  };
  const differing = done.filter((task) => Object.values(task.decision.choices).some((choice) => choice !== task.decision.logged));
  return {
    decisions: done.length,
    since: options.since === null ? null : new Date(options.since).toISOString(),
    estimator: ESTIMATOR,
    policies: [estimate('logged'), ...options.policies.map(estimate)],
    differing: differing.slice(-(options.keepDiffering ?? 10)).map((task) => task.decision),
  };
}

/** Wilson score interval (95 %) for a rate measured over `n` (effective) trials. */
export function wilson(rate: number, n: number, z = 1.96): [number, number] {
  if (!(n > 0)) return [0, 1];
  const z2 = z * z;
  const centre = (rate + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((rate * (1 - rate)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}
