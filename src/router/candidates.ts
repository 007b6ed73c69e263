import type { FleetView } from './fleet-view.js';
import { CapabilityMatcher } from './match.js';

/** An agent worth trying for a task, best first. */
export interface RankedAgent {
  agent: string;
  score: number;
  matched: string[];
}

let cached: { version: number; matcher: CapabilityMatcher } | null = null;

/**
 * The agents plausible for a task, best first: those whose capabilities match it (the matcher
 * puts the generalist first only when no specialist matches). A forced agent is the only
 * candidate. The matcher is rebuilt only when the fleet's profiles change (a new agent card).
 */
export function rankCandidates(input: string, fleet: FleetView, forced?: string): RankedAgent[] {
  if (forced !== undefined) return [{ agent: forced, score: 1, matched: [] }];
  const { version, profiles } = fleet.profiles();
  if (!cached || cached.version !== version) cached = { version, matcher: new CapabilityMatcher(profiles) };
  const scored = cached.matcher.score(input);
  const plausible = scored.filter((candidate, position) => candidate.score > 0 || position === 0);
  return plausible.map(({ agent, score, matched }) => ({ agent, score, matched }));
}
