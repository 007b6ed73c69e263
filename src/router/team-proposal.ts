/**
 * Automatic teaming: whether a task clearly spans several distinct capability groups, so the
 * router proposes to run it as a team (planned into subtasks for several agents) rather than send
 * it whole to one agent. Deterministic and explainable — no model call decides it:
 *
 * 1. The task is cut into clauses: at sentence punctuation, commas, semicolons, new lines, and the
 *    joining words "and", "then", "also", "plus" ("Build a signup page, write Playwright tests for
 *    it, and a Dockerfile to deploy it" → three clauses).
 * 2. A clause belongs to a specialist (never the fallback agent) only when that specialist matches
 *    it strongly on its own — score ≥ CLAUSE_CONFIDENCE (a capability word unique to it is enough)
 *    — and no other specialist comes close (the runner-up under CLAUSE_MARGIN × its score).
 * 3. A team is proposed when clauses belong to TEAM_MIN_AGENTS or more different specialists, and
 *    no single specialist covers every one of those clauses on its own (each at MIN_CONFIDENCE):
 *    one agent that can do it all gets it all.
 *
 * Anything short of that routes as before, which keeps ordinary single-capability tasks (one
 * clause, or several clauses of one specialist) exactly where they went.
 */
import type { AgentMatch, CapabilityMatcher } from './match.js';
import { MIN_CONFIDENCE } from './match.js';

/** One clause of the task and the specialist it clearly belongs to. */
export interface TeamGroup {
  agent: string;
  clause: string;
  /** The clause's words that matched the agent (what `route` shows as the evidence). */
  matched: string[];
  score: number;
}

/** The router's answer to "should this task be a team?", with its reason in one sentence. */
export interface TeamProposal {
  /** True: the task runs as a team unless the caller says otherwise (`run --no-team`, an agent). */
  team: boolean;
  reason: string;
  /** The clauses that belong clearly to one specialist each (empty when none does). */
  groups: TeamGroup[];
}

/**
 * What a specialist must score on a clause alone for the clause to be its: one capability word
 * unique to it (a tag, 0.5 of the two-tag floor) is enough — "a Dockerfile to deploy it" — a word
 * two agents share or a passing mention in an example is not.
 */
export const CLAUSE_CONFIDENCE = 0.5;

/** The runner-up specialist must score under this share of the leader's for a clause to be the leader's. */
export const CLAUSE_MARGIN = 0.5;

/** Distinct specialists whose clauses make a team. */
export const TEAM_MIN_AGENTS = 2;

/** Where a task is cut into clauses: sentence punctuation, commas, semicolons, new lines, joining words. */
const CLAUSE_BREAK = /\s*(?:[.;!?](?=\s|$)|,|\n|\b(?:and then|and also|then|and|plus|also)\b)\s*/i;

/** Clauses of a task, in order, empty ones dropped. */
export function clausesOf(task: string): string[] {
  return task.split(CLAUSE_BREAK).map((clause) => clause.trim()).filter((clause) => clause !== '');
}

/**
 * Whether `task` clearly spans several specialists (see the file comment). `whole` is the task's
 * match as routing already computed it: with fewer than two specialists matching anything, no
 * clause can belong to two of them, and the clauses are never scored.
 */
export function proposeTeam(task: string, whole: readonly AgentMatch[], matcher: CapabilityMatcher, fallbacks: ReadonlySet<string>): TeamProposal {
  const matching = whole.filter((row) => !fallbacks.has(row.agent) && row.score > 0);
  if (matching.length < TEAM_MIN_AGENTS) {
    return { team: false, reason: matching.length === 0 ? 'no specialist matches the task' : `only ${matching[0]!.agent} matches the task`, groups: [] };
  }
  const clauses = clausesOf(task);
  if (clauses.length < TEAM_MIN_AGENTS) return { team: false, reason: 'the task is one clause', groups: [] };
  const scored = clauses.map((clause) => ({ clause, rows: matcher.score(clause).filter((row) => !fallbacks.has(row.agent)) }));
  const groups: TeamGroup[] = [];
  for (const { clause, rows } of scored) {
    const [first, second] = rows;
    if (!first || first.score < CLAUSE_CONFIDENCE) continue;
    if (second && second.score >= CLAUSE_MARGIN * first.score) continue;
    groups.push({ agent: first.agent, clause, matched: first.matched, score: Math.round(first.score * 1000) / 1000 });
  }
  const agents = [...new Set(groups.map((group) => group.agent))];
  if (agents.length < TEAM_MIN_AGENTS) {
    const why = agents.length === 0 ? 'no clause belongs clearly to one specialist' : `every clause that belongs clearly to one specialist is ${agents[0]}'s`;
    return { team: false, reason: why, groups };
  }
  // One agent able to do every part gets the whole task: a team only when nobody covers it all.
  const claimed = scored.filter(({ clause }) => groups.some((group) => group.clause === clause));
  const coverer = whole.find((row) => !fallbacks.has(row.agent) && claimed.every(({ rows }) => (rows.find((r) => r.agent === row.agent)?.score ?? 0) >= MIN_CONFIDENCE));
  if (coverer) return { team: false, reason: `${coverer.agent} covers every part of it`, groups };
  const parts = groups.map((group) => `"${group.clause}" → ${group.agent} (${group.matched.join(', ')})`);
  return { team: true, reason: `the task spans ${agents.length} specialists and none covers it all: ${parts.join('; ')}`, groups };
}
