/**
 * The learned routing policy: a contextual bandit over (task features, agent) whose prior is the
 * static capability match (match.ts) and whose evidence is what agents actually achieved on
 * similar tasks.
 *
 * Model. Evidence is kept per (agent, term): decayed success and failure weights, a Beta
 * posterior's pseudo-counts. For a task, an agent's evidence is the feature-weighted sum of its
 * cells over the task's terms (features() weights sum to 1, and every term of an observed task
 * records the whole outcome, so n tasks of one kind read as exactly n observations). Its
 * posterior mean adds an informative prior of PRIOR_STRENGTH pseudo-observations at PRIOR_MEAN.
 *
 * Decision. value = posterior mean + MATCH_WEIGHT × match score (+ STATIC_BONUS for the matcher's
 * own pick), highest first, among plausible candidates only (plausible() below). This is the
 * UCB family (optimism in the face of uncertainty), in a bounded, deterministic form: the
 * optimism is the prior, an aspiration an untried agent is presumed to reach, not a bonus growing
 * with log t. A challenger is therefore tried exactly when the incumbent's record falls below that
 * aspiration (minus its match advantage), and stays only while its own record holds up.
 * Not Thompson sampling: with little evidence a sampled θ is noise of ±0.2, larger than most
 * gaps between match scores, so equally good agents would be reshuffled at random; users would
 * see worse matches for no reason, and "equal success → the match decides" could not hold. Not
 * textbook UCB either: its log t bonus re-tries every plausible agent forever. Here no dice are
 * thrown, equal records keep the static order exactly, and every decision can be explained.
 *
 * Decay. A term's cells age by DECAY each time a task containing that term is observed (for any
 * agent): evidence fades with the traffic of similar tasks, not with unrelated ones, so a rare
 * kind keeps what was learned about it. An abandoned agent's failures thus fade while its kind
 * keeps coming, its value drifts back to the prior, and it is re-tried once it could win again:
 * an agent that got better is re-learned, and one that got worse loses its lead within about
 * one window (1 / (1 − DECAY) similar tasks). Observations with `at` also halve per HALF_LIFE_MS.
 */
import { MIN_CONFIDENCE } from './match.js';

/** Presumed success of an agent with no record on a kind of task: the aspiration (see above). */
export const PRIOR_MEAN = 0.85;
/** The prior counts as this many observations: one or two failures already sink a bad agent. */
export const PRIOR_STRENGTH = 3;
/** λ: success-probability points per unit of match score; orders agents whose records are equal. */
export const MATCH_WEIGHT = 0.2;
/**
 * Trust in the matcher's own pick, in success-probability points: with PRIOR_MEAN it sets how
 * far the static pick must fall (below ≈ 0.7) before anyone else is tried, so the noise of a
 * good agent's record never triggers exploration, yet an agent failing most tasks is left after
 * one or two failures.
 */
export const STATIC_BONUS = 0.2;
/** z: the static pick is valued at its posterior mean + z standard deviations (benefit of doubt). */
export const STATIC_CONFIDENCE = 0;
/** Per outcome of the same agent on a term (γ): its record is its recent form. */
export const DECAY = 0.97;
/** Per outcome of anyone on a term: an agent left aside is given another chance, slowly. */
export const FADE = 0.99;
/** Wall-clock half-life of evidence, for observations that carry `at`. */
export const HALF_LIFE_MS = 7 * 24 * 3600 * 1000;
/** Explicit feedback (good/bad) counts as this many outcomes: a user's judgement beats a status. */
export const FEEDBACK_WEIGHT = 2;
/**
 * A specialist is plausible with at least this share of the best specialist's score and at
 * least PLAUSIBLE_FLOOR: "build a sales dashboard in React" (data_analyst 0.65) leaves
 * web_developer (0.30, on "react") in; "end-to-end tests for the checkout flow" (qa_tester
 * 0.78) keeps security_expert (0.22, on "flow") out. Looser than MIN_CONFIDENCE because
 * exploration only happens once the better matches are failing.
 */
export const PLAUSIBLE_SHARE = 0.4;
/** Half of MIN_CONFIDENCE: one real capability word of the task, not a passing mention. */
export const PLAUSIBLE_FLOOR = MIN_CONFIDENCE / 2;
/** Under this much evidence a pick rests on the prior: choosing it over a proven agent is exploring. */
export const EXPLORE_EVIDENCE = 1;

export interface PolicyCandidate {
  agent: string;
  score: number;
  fallback: boolean;
}

export interface RankedChoice {
  agent: string;
  score: number;
  /** Posterior mean success for tasks like this; null when learning is off. */
  estimate: number | null;
  /** Effective number of similar outcomes behind the estimate. */
  evidence: number;
  value: number;
}

export interface Choice {
  /** The order to try agents in: pick, other plausible agents by value, the rest by static rank. */
  ranked: RankedChoice[];
  pick: string;
  explored: boolean;
  reason: string;
}

export interface Observation {
  agent: string;
  features: Map<string, number>;
  outcome: 'success' | 'failure';
  /** 1 for a task's outcome, FEEDBACK_WEIGHT for explicit feedback. */
  weight?: number;
  /** Epoch ms of the outcome, for HALF_LIFE_MS. */
  at?: number;
}

/**
 * The candidates (static order, matcher's pick first) that may be chosen at all: the static pick,
 * and specialists scoring at least PLAUSIBLE_FLOOR and PLAUSIBLE_SHARE of the best specialist.
 * The generalist only when it is the static pick: it will answer anything, which is no evidence it
 * can do a specialist's task (and when it is the pick, the specialists' matches are weak). Lives here rather than in match.ts because
 * it is a rule about exploring, not about matching.
 */
export function plausible<T extends PolicyCandidate>(candidates: readonly T[]): T[] {
  const best = Math.max(0, ...candidates.filter((c) => !c.fallback).map((c) => c.score));
  const bar = Math.max(PLAUSIBLE_FLOOR, PLAUSIBLE_SHARE * best);
  return candidates.filter((c, index) => index === 0 || (!c.fallback && c.score >= bar));
}

interface Cell {
  success: number;
  failure: number;
  /** The term's clock and the time the counts are current as of. */
  clock: number;
  at: number;
}

interface Totals {
  successes: number;
  failures: number;
}

export class LearnedPolicy {
  private readonly learn: boolean;
  /** term → how many outcomes of tasks containing it were observed (its decay clock). */
  private readonly clocks = new Map<string, number>();
  /** agent → term → evidence. */
  private readonly cells = new Map<string, Map<string, Cell>>();
  private readonly totals = new Map<string, Totals>();
  /** The newest `at` observed: "now" for the half-life (choose() stays pure). */
  private now = Number.NEGATIVE_INFINITY;

  /**
   * `random` is accepted for callers and tests that inject one, but the decision rule is
   * deterministic by design (see the file comment), so it is never consulted.
   */
  constructor(options: { learn: boolean; random?: () => number }) {
    this.learn = options.learn;
  }

  /** Records one outcome (callers drop cancellations: they are not the agent's doing). */
  observe(o: Observation): void {
    const weight = o.weight ?? 1;
    if (!this.learn || !(weight > 0) || o.features.size === 0) return;
    if (o.at !== undefined && o.at > this.now) this.now = o.at;
    const at = o.at ?? this.now;
    const cells = this.cells.get(o.agent) ?? new Map<string, Cell>();
    this.cells.set(o.agent, cells);
    for (const [term, share] of o.features) {
      if (!(share > 0)) continue;
      const clock = (this.clocks.get(term) ?? 0) + 1;
      this.clocks.set(term, clock);
      const cell = cells.get(term);
      const keep = cell ? this.retention(cell, clock, at) * DECAY : 0;
      cells.set(term, {
        success: (cell?.success ?? 0) * keep + (o.outcome === 'success' ? weight : 0),
        failure: (cell?.failure ?? 0) * keep + (o.outcome === 'failure' ? weight : 0),
        clock,
        at,
      });
    }
    const totals = this.totals.get(o.agent) ?? { successes: 0, failures: 0 };
    if (o.outcome === 'success') totals.successes += weight;
    else totals.failures += weight;
    this.totals.set(o.agent, totals);
  }

  choose(candidates: readonly PolicyCandidate[], features: Map<string, number>): Choice {
    const first = candidates[0];
    if (!first) throw new RangeError('LearnedPolicy.choose needs at least one candidate');
    if (!this.learn) {
      return {
        ranked: candidates.map((c) => ({ agent: c.agent, score: c.score, estimate: null, evidence: 0, value: c.score })),
        pick: first.agent,
        explored: false,
        reason: `best capability match (score ${c2(first.score)})`,
      };
    }
    const allowed = new Set(plausible(candidates));
    const rows = candidates.map((c, index) => {
      const { success, failure } = this.evidence(c.agent, features);
      const evidence = success + failure;
      const estimate = (PRIOR_MEAN * PRIOR_STRENGTH + success) / (PRIOR_STRENGTH + evidence);
      const spread = Math.sqrt((estimate * (1 - estimate)) / (PRIOR_STRENGTH + evidence + 1));
      const value = estimate + MATCH_WEIGHT * c.score + (index === 0 ? STATIC_BONUS + STATIC_CONFIDENCE * spread : 0);
      return { c, index, success, evidence, estimate, value, allowed: allowed.has(c) };
    });
    const eligible = rows.filter((r) => r.allowed).sort((a, b) => b.value - a.value || a.index - b.index);
    const rest = rows.filter((r) => !r.allowed);
    const order = [...eligible, ...rest];
    const top = order[0] ?? rows[0]!;
    const explored =
      top.index !== 0 && top.evidence < EXPLORE_EVIDENCE && eligible.some((r) => r !== top && r.evidence >= EXPLORE_EVIDENCE);
    return {
      ranked: order.map((r) => ({ agent: r.c.agent, score: r.c.score, estimate: r.estimate, evidence: r.evidence, value: r.value })),
      pick: top.c.agent,
      explored: explored || (top.index === 0 && top.evidence < EXPLORE_EVIDENCE && eligible.some((r) => r !== top && r.evidence >= EXPLORE_EVIDENCE && rate(r) > rateOrPrior(top))),
      reason: explain(top, rows[0]!),
    };
  }

  /** Per agent: raw outcome weights observed (undecayed) and how many terms carry evidence. */
  snapshot(): Array<{ agent: string; successes: number; failures: number; terms: number }> {
    return [...this.totals].map(([agent, t]) => ({ agent, ...t, terms: this.cells.get(agent)?.size ?? 0 }));
  }

  /** An agent's decayed success and failure weight on tasks with these features. */
  private evidence(agent: string, features: Map<string, number>): { success: number; failure: number } {
    const cells = this.cells.get(agent);
    let success = 0;
    let failure = 0;
    if (!cells) return { success, failure };
    for (const [term, share] of features) {
      const cell = cells.get(term);
      if (!cell || !(share > 0)) continue;
      const keep = this.retention(cell, this.clocks.get(term) ?? cell.clock, this.now);
      success += share * cell.success * keep;
      failure += share * cell.failure * keep;
    }
    return { success, failure };
  }

  /** How much of a cell survives to the term's clock `clock` and time `at`. */
  private retention(cell: Cell, clock: number, at: number): number {
    const elapsed = Number.isFinite(at) && Number.isFinite(cell.at) ? Math.max(0, at - cell.at) : 0;
    return FADE ** Math.max(0, clock - cell.clock) * 0.5 ** (elapsed / HALF_LIFE_MS);
  }
}

interface Row {
  c: PolicyCandidate;
  index: number;
  success: number;
  evidence: number;
  estimate: number;
}

/** The observed success rate (no prior), for the reason line. */
function rate(r: Row): number {
  return r.evidence > 0 ? r.success / r.evidence : Number.NaN;
}

function rateOrPrior(r: Row): number {
  return r.evidence > 0 ? rate(r) : PRIOR_MEAN;
}

function explain(pick: Row, statics: Row): string {
  const record = (r: Row): string => `${pct(rate(r))} success over ${seen(r)} similar tasks`;
  if (pick === statics) {
    if (pick.evidence < 0.5) return `best capability match (score ${c2(pick.c.score)}); no outcomes for tasks like this yet`;
    return `best match and ${record(pick)}`;
  }
  const why =
    statics.evidence < 0.5
      ? `${statics.c.agent} (best match) has no record on tasks like this`
      : `${statics.c.agent} fails ${pct(1 - rate(statics))} of tasks like this (${seen(statics)} seen)`;
  const alt =
    pick.evidence < EXPLORE_EVIDENCE
      ? `trying ${pick.c.agent} (match ${c2(pick.c.score)}, no record yet)`
      : `${pick.c.agent} succeeds ${pct(rate(pick))} (${seen(pick)} seen)`;
  return `${why}; ${alt}`;
}

function pct(x: number): string {
  return `${Math.round(x * 100)} %`;
}

function seen(r: Row): number {
  return Math.max(1, Math.round(r.evidence));
}

function c2(x: number): string {
  return x.toFixed(2);
}
