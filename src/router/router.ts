import type { LedgerEvent } from '../protocol/events.js';
import type { RouteCandidate } from '../protocol/task.js';
import { CapabilityMatcher } from './match.js';
import type { AgentMatch, AgentProfile } from './match.js';
import { FEEDBACK_WEIGHT, LearnedPolicy } from './policy.js';
import type { DecisionKind } from './policy.js';
import { proposeTeam } from './team-proposal.js';
import type { TeamProposal } from './team-proposal.js';

/** An agent to try for a task, in order. */
export interface RankedAgent {
  agent: string;
  score: number;
}

/** Where a task should go, and why: what `lightning route` prints and `task.routed` records. */
export interface RouteDecision {
  /** The order to try agents in (failover walks it). */
  ranked: RankedAgent[];
  candidates: RouteCandidate[];
  pick: string;
  /** What capability matching alone would pick. */
  static: string;
  explored: boolean;
  /** How the pick was made: exploit, explore, fallback (last resort) or forced (--agent). */
  decision: DecisionKind;
  /** Probability that the policy makes this choice (1: it is deterministic); for off-policy replay. */
  probability: number;
  reason: string;
  /** The task's kind for stats: the static pick's strongest matched word. */
  kind: string;
  /**
   * Whether the task would run as a team rather than go to `pick`, and why (team-proposal.ts).
   * Absent from supervisors older than automatic teaming.
   */
  team?: TeamProposal;
}

/** Automatic teaming as the router sees it: whether it is on (agents.yaml, re-read on reload) and who would plan. */
export interface TeamingSource {
  enabled(): boolean;
  planner(): string | null;
}

export type ProfileSource = () => { version: number; profiles: AgentProfile[] };

/**
 * Routing in one place: static capability matching (rebuilt when agent cards change) with the
 * learned policy on top. Outcomes come from the ledger's events — live, and replayed at start — so
 * learning survives restarts and the ledger stays the only record.
 */
export class TaskRouter {
  private cached: { version: number; matcher: CapabilityMatcher; fallback: ReadonlySet<string> } | null = null;
  private readonly policy: LearnedPolicy;
  /**
   * The newest REPLAY_TASKS tasks, for outcomes that arrive after submission (attempts, feedback):
   * their features (computed once) and the agent of their last attempt. Bounded like the replay at
   * start, so a long-running supervisor learns the same as a restarted one and does not grow.
   */
  private readonly tasks = new Map<string, { input: string; features: Map<string, number> | null; agent: string | null }>();
  /** route() computes a task's features just before its submission is recorded: reused then. */
  private lastRouted: { input: string; features: Map<string, number> } | null = null;

  /** `teaming` null: no team is ever proposed (replays and stats, which route only to compare picks). */
  constructor(
    private readonly profiles: ProfileSource,
    learn: boolean,
    private readonly teaming: TeamingSource | null = null,
  ) {
    this.policy = new LearnedPolicy({ learn });
  }

  route(input: string, forced?: string): RouteDecision {
    const { matcher, fallback } = this.current();
    const scored = matcher.score(input);
    const first = scored[0];
    const kind = first?.matched[0]?.toLowerCase() ?? 'other';
    if (forced !== undefined || !first) {
      const agent = forced ?? '';
      const team: TeamProposal = { team: false, reason: forced !== undefined ? `asked for ${agent}` : 'no agent to team', groups: [] };
      return { ranked: [{ agent, score: 1 }], candidates: [{ agent, score: 1 }], pick: agent, static: first?.agent ?? agent, explored: false, decision: 'forced', probability: 1, reason: `asked for ${agent}`, kind, team };
    }
    const features = matcher.features(input);
    this.lastRouted = { input, features };
    const choice = this.policy.choose(
      scored.map(({ agent, score }) => ({ agent, score, fallback: fallback.has(agent) })),
      features,
    );
    // Failover goes down the list, never to an agent that matched nothing and has no record; the
    // fallback agent comes last whatever its match (the last resort once the others failed).
    const tried = choice.ranked.filter((row, index) => index === 0 || row.eligible !== null || (row.score > 0 && !row.fallback));
    const ranked = [...tried, ...choice.ranked.filter((row) => row.fallback && !tried.includes(row))];
    return {
      ranked: ranked.map(({ agent, score }) => ({ agent, score })),
      // In decision order (the failover order, then the agents never tried): what `route` lists
      // and `task.routed` records, each with its value.
      candidates: [...ranked, ...choice.ranked.filter((row) => !ranked.includes(row))].map(({ agent, score, estimate, evidence, value }) => ({
        agent,
        score: round(score),
        estimate: estimate === null ? null : round(estimate),
        evidence: round(evidence),
        value: round(value),
      })),
      pick: choice.pick,
      static: first.agent,
      explored: choice.explored,
      decision: choice.kind,
      probability: choice.probability,
      reason: choice.reason,
      kind,
      team: this.proposal(input, scored, matcher, fallback),
    };
  }

  /** Whether the task would run as a team: the rule of team-proposal.ts, when teaming is on and someone can plan. */
  private proposal(input: string, scored: AgentMatch[], matcher: CapabilityMatcher, fallbacks: ReadonlySet<string>): TeamProposal {
    if (this.teaming === null) return { team: false, reason: 'teams are not considered here', groups: [] };
    if (!this.teaming.enabled()) return { team: false, reason: 'automatic teaming is off (routing.autoTeam: false)', groups: [] };
    const proposal = proposeTeam(input, scored, matcher, fallbacks);
    if (proposal.team && this.teaming.planner() === null) {
      return { ...proposal, team: false, reason: `${proposal.reason}; but no agent can plan a team (set \`planner:\` in agents.yaml, or mark an agent \`fallback: true\`)` };
    }
    return proposal;
  }

  /**
   * What the router has learned about `agent` on tasks like `input` (estimate and evidence, the
   * numbers `route` shows), without recording a routing: for `stats` and the dashboard.
   */
  recordOf(input: string, agent: string): { estimate: number | null; evidence: number } | null {
    const { matcher, fallback } = this.current();
    const scored = matcher.score(input);
    if (scored.length === 0) return null;
    const choice = this.policy.choose(scored.map(({ agent: name, score }) => ({ agent: name, score, fallback: fallback.has(name) })), matcher.features(input));
    const row = choice.ranked.find((candidate) => candidate.agent === agent);
    return row ? { estimate: row.estimate === null ? null : round(row.estimate), evidence: round(row.evidence) } : null;
  }

  kindOf(input: string): string {
    return this.matcher().score(input)[0]?.matched[0]?.toLowerCase() ?? 'other';
  }

  /** Feeds one ledger event to the policy (used live and for the replay at start). */
  learnFrom(event: LedgerEvent): void {
    switch (event.event) {
      case 'task.submitted': {
        // A team's plan and combine steps say nothing of how the planner does such tasks; its
        // subtasks are tasks like any other and teach like any other.
        if (event.role === 'plan' || event.role === 'combine' || event.team) return;
        const features = this.lastRouted?.input === event.input ? this.lastRouted.features : null;
        this.tasks.set(event.taskId, { input: event.input, features, agent: null });
        if (this.tasks.size > REPLAY_TASKS) this.tasks.delete(this.tasks.keys().next().value!);
        return;
      }
      case 'task.attempt': {
        const task = this.tasks.get(event.taskId);
        if (!task) return;
        task.agent = event.agent;
        // Cancellation is the user's doing and a dead instance is the supervisor's: neither says
        // anything about how well the agent does this kind of task.
        // Nor does a missing model endpoint or key: the fleet's configuration, not the agent's work.
        // Nor does a budget running out: the user's limit.
        if (event.status === 'cancelled' || event.transport || event.config || event.budget) return;
        const outcome = event.status === 'completed' ? 'success' : 'failure';
        this.policy.observe({ agent: event.agent, features: this.featuresOf(task), outcome, at: Date.parse(event.ts) });
        return;
      }
      case 'feedback': {
        const task = this.tasks.get(event.taskId);
        if (!task?.agent) return;
        const outcome = event.rating === 'good' ? 'success' : 'failure';
        this.policy.observe({ agent: task.agent, features: this.featuresOf(task), outcome, weight: FEEDBACK_WEIGHT, at: Date.parse(event.ts) });
        return;
      }
      default:
        return;
    }
  }

  private featuresOf(task: { input: string; features: Map<string, number> | null }): Map<string, number> {
    task.features ??= this.matcher().features(task.input);
    return task.features;
  }

  private matcher(): CapabilityMatcher {
    return this.current().matcher;
  }

  /** The matcher and the fallback agents of the current profiles: built once per profiles version, not per task. */
  private current(): { matcher: CapabilityMatcher; fallback: ReadonlySet<string> } {
    const { version, profiles } = this.profiles();
    if (!this.cached || this.cached.version !== version) {
      this.cached = { version, matcher: new CapabilityMatcher(profiles), fallback: new Set(profiles.filter((profile) => profile.fallback).map((profile) => profile.name)) };
    }
    return this.cached;
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Tasks whose outcomes are replayed into the learned policy at start (older ones have decayed). */
export const REPLAY_TASKS = 5000;

/**
 * The tail of the ledger that learning replays at start: the events from the `tasks`-th newest
 * submission on. Older outcomes have decayed to (almost) nothing, and replaying a huge ledger in
 * full would keep a supervisor from taking tasks for seconds.
 */
export function replayWindow(events: readonly LedgerEvent[], tasks: number): readonly LedgerEvent[] {
  let seen = 0;
  for (let index = events.length - 1; index >= 0; index -= 1) {
    if (events[index]!.event === 'task.submitted' && ++seen === tasks) return events.slice(index);
  }
  return events;
}
