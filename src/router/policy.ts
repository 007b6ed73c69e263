/**
 * The learned routing policy: a contextual bandit over (task features, agent). The static
 * capability match (match.ts) is the prior; what agents achieved on similar tasks is the evidence.
 *
 * Evidence. Every outcome is remembered with its task's features (CapabilityMatcher.features).
 * An agent's evidence for a task is the sum of its outcomes weighted by similarity^SHARPNESS
 * (cosine of the feature vectors; under SIMILARITY_FLOOR nothing counts) and by retention (decay,
 * below), as Beta pseudo-counts: n tasks of one kind read as n observations. Sharpening keeps a
 * kind apart from kinds that share a word or two ("React" in a chart and in a deploy task).
 * Posterior mean = (PRIOR_MEAN · PRIOR_STRENGTH + successes) / (PRIOR_STRENGTH + evidence).
 *
 * Decision. value = posterior mean + MATCH_WEIGHT × match score, plus for the matcher's own pick
 * (credited the best score) STATIC_BONUS + STATIC_CONFIDENCE × posterior sd (benefit of the doubt
 * while its record is thin).
 * Highest value first, among plausible candidates only (plausible() below). This is UCB-style
 * optimism in a bounded, deterministic form: the optimism is the prior, an aspiration an untried
 * agent is presumed to reach, not a bonus growing with log t. A challenger is tried exactly when
 * the pick's record falls clearly below that aspiration, and keeps the task only while its own
 * record holds up. Why not Thompson sampling: with little evidence a sampled θ swings by ±0.2,
 * more than most gaps between match scores, so equally good agents would be reshuffled at random
 * and "equal success → the match decides" could not hold. Why not textbook UCB: its log t bonus
 * re-tries every plausible agent forever. Here no dice are thrown, equal records keep the static
 * order exactly, and every decision can be explained in one sentence.
 *
 * Decay, in tasks rather than time. Each later outcome on a similar task (same kernel) ages a
 * remembered one: by DECAY if it is the same agent's (its record is its recent form: an agent that
 * got worse loses the lead within about 1 / (1 − DECAY) tasks), by FADE if anyone's (an agent left
 * aside slowly regains the prior and is tried again: one that got better is re-learned). A rare
 * kind thus keeps what was learned about it whatever else the fleet does. Outcomes with `at` also
 * halve every HALF_LIFE_MS (measured to the newest `at` seen, so choose() stays pure).
 */
import type { TaskStatus } from '../protocol/task.js';
import { MIN_CONFIDENCE } from './match.js';

/** Presumed success of an agent with no record on a kind of task: the aspiration (see above). */
export const PRIOR_MEAN = 0.75;
/**
 * The prior counts as this many outcomes. Five: one unlucky failure moves an agent only to 0.63,
 * so a good agent is not dropped for it, while three or four straight failures sink a bad one.
 */
export const PRIOR_STRENGTH = 5;
/** λ: success-probability points per unit of match score; orders agents whose records are equal. */
export const MATCH_WEIGHT = 0.2;
/**
 * Trust in the matcher's own pick, in success-probability points. With PRIOR_MEAN it sets how low
 * the pick's record must fall before an untried agent is preferred (≈ 0.5: three or four failures
 * in five), so a good agent's bad luck rarely triggers exploration; and since PRIOR_MEAN + this +
 * the thin-record credit (≈ 0.99) still beats a flawless challenger's record (≈ 0.97), an
 * abandoned pick is tried again once its failures have faded (re-learning), but only then.
 */
export const STATIC_BONUS = 0.15;
/** z: the static pick is also credited z posterior standard deviations (large for a thin record). */
export const STATIC_CONFIDENCE = 0.5;
/** Retention per later outcome of the same agent on similar tasks (its form; ≈ 33 tasks). */
export const DECAY = 0.97;
/** Retention per later outcome of anyone on similar tasks (second chances; ≈ 330 tasks). */
export const FADE = 0.997;
/** Wall-clock half-life of an outcome that carries `at`. */
export const HALF_LIFE_MS = 7 * 24 * 3600 * 1000;
/** Explicit feedback (good/bad) counts as this many outcomes: a user's judgement beats a status. */
export const FEEDBACK_WEIGHT = 2;
/** Similarity exponent: tasks sharing half their vocabulary (cosine 0.5) count 1/8. */
export const SHARPNESS = 3;
/** Below this cosine two tasks are unrelated and share nothing. */
export const SIMILARITY_FLOOR = 0.2;
/**
 * A specialist is plausible with at least this share of the best specialist's score and at least
 * PLAUSIBLE_FLOOR: "build a sales dashboard in React" (data_analyst 0.65) keeps web_developer
 * (0.30, on "react") in; "end-to-end tests for the checkout flow" (qa_tester 0.78) keeps
 * security_expert (0.22, on "flow") out. Looser than MIN_CONFIDENCE because exploring only
 * happens once the better matches are failing.
 */
export const PLAUSIBLE_SHARE = 0.4;
/** Half of MIN_CONFIDENCE: one real capability word of the task, not a passing mention. */
export const PLAUSIBLE_FLOOR = MIN_CONFIDENCE / 2;
/** Under this much evidence an agent has no record: picking it over the static pick explores. */
export const EXPLORE_EVIDENCE = 1;
/** The static pick kept although another's record is this much better is a re-check: exploring. */
export const EXPLORE_MARGIN = 0.1;
/**
 * Outcomes retained under this weight are forgotten, and at most MAX_MEMORY (the oldest go first)
 * are kept per agent: observe() ages every remembered outcome, so this bounds its cost.
 */
const FORGET_BELOW = 0.01;
const MAX_MEMORY = 1000;

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
 * The candidates (static order, the matcher's pick first) that may be chosen at all: the static
 * pick, and specialists scoring at least PLAUSIBLE_FLOOR and PLAUSIBLE_SHARE of the best
 * specialist. The generalist only when it is the static pick: that it answers anything is no
 * evidence it can do a specialist's task. Here rather than in match.ts: it is a rule about
 * exploring, not about matching.
 */
export function plausible<T extends PolicyCandidate>(candidates: readonly T[]): T[] {
  const best = Math.max(0, ...candidates.filter((c) => !c.fallback).map((c) => c.score));
  const bar = Math.max(PLAUSIBLE_FLOOR, PLAUSIBLE_SHARE * best);
  return candidates.filter((c, index) => index === 0 || (!c.fallback && c.score >= bar));
}

/**
 * What a finished task (or attempt) says about its agent: completed = success, failed or timed
 * out = failure; cancelled (the user's call) and interrupted (the supervisor's) say nothing.
 */
export function outcomeOf(status: TaskStatus): 'success' | 'failure' | null {
  if (status === 'completed') return 'success';
  return status === 'failed' || status === 'timeout' ? 'failure' : null;
}

/** Explicit feedback as an observation's outcome and weight. */
export function feedbackOutcome(rating: 'good' | 'bad'): { outcome: 'success' | 'failure'; weight: number } {
  return { outcome: rating === 'good' ? 'success' : 'failure', weight: FEEDBACK_WEIGHT };
}

/** One remembered outcome: its task's unit feature vector and how much similar traffic came since. */
interface Memory {
  unit: Map<string, number>;
  /** The vector's terms and weights as text: equal keys, equal kernels (computed once per observe). */
  key: string;
  success: boolean;
  weight: number;
  at: number;
  /** Similarity-weighted outcomes since: of this agent (for DECAY) and of anyone (for FADE). */
  own: number;
  traffic: number;
}

interface Row {
  c: PolicyCandidate;
  index: number;
  success: number;
  evidence: number;
  estimate: number;
  value: number;
}

export class LearnedPolicy {
  private readonly learn: boolean;
  private readonly memory = new Map<string, Memory[]>();
  /** The newest `at` observed: "now" for HALF_LIFE_MS. */
  private now = Number.NEGATIVE_INFINITY;
  private observed = 0;

  /** `random` is accepted for injection, but the rule is deterministic (file comment): unused. */
  constructor(options: { learn: boolean; random?: () => number }) {
    this.learn = options.learn;
  }

  /** Records one outcome. Callers drop cancellations: they are not the agent's doing. */
  observe(o: Observation): void {
    const weight = o.weight ?? 1;
    const unit = unitVector(o.features);
    if (!this.learn || !(weight > 0) || unit.size === 0) return;
    if (o.at !== undefined && o.at > this.now) this.now = o.at;
    // Every remembered outcome ages by how similar this one is to it (see the file comment).
    // Traffic repeats itself, so a kernel is computed once per distinct task vector.
    const kernels = new Map<string, number>();
    const prune = ++this.observed % PRUNE_EVERY === 0;
    for (const [agent, list] of this.memory) {
      for (const m of list) {
        let similar = kernels.get(m.key);
        if (similar === undefined) kernels.set(m.key, (similar = kernel(m.unit, unit)));
        if (similar === 0) continue;
        m.traffic += similar;
        if (agent === o.agent) m.own += similar;
      }
      // Forgotten outcomes weigh under FORGET_BELOW: dropping them now or a few tasks later
      // changes no decision, and filtering every list on every outcome was most of the cost.
      if (prune) this.memory.set(agent, list.filter((m) => this.retention(m) >= FORGET_BELOW));
    }
    const list = this.memory.get(o.agent) ?? [];
    list.push({ unit, key: vectorKey(unit), success: o.outcome === 'success', weight, at: o.at ?? this.now, own: 0, traffic: 0 });
    if (list.length > MAX_MEMORY) list.splice(0, list.length - MAX_MEMORY);
    this.memory.set(o.agent, list);
  }

  choose(candidates: readonly PolicyCandidate[], features: Map<string, number>): Choice {
    const first = candidates[0];
    if (!first) throw new RangeError('LearnedPolicy.choose needs at least one candidate');
    if (!this.learn) {
      return {
        ranked: candidates.map((c) => ({ agent: c.agent, score: c.score, estimate: null, evidence: 0, value: c.score })),
        pick: first.agent,
        explored: false,
        reason: `best capability match (score ${first.score.toFixed(2)})`,
      };
    }
    const allowed = new Set(plausible(candidates));
    // The matcher ranked its pick first (a generalist with no matching words included), so the
    // pick is credited the best score: a fallback pick is not a worse match than its alternatives.
    const best = Math.max(...candidates.map((c) => c.score));
    const unit = unitVector(features);
    const rows: Row[] = candidates.map((c, index) => {
      const { success, evidence } = this.evidence(c.agent, unit);
      const estimate = (PRIOR_MEAN * PRIOR_STRENGTH + success) / (PRIOR_STRENGTH + evidence);
      const spread = Math.sqrt((estimate * (1 - estimate)) / (PRIOR_STRENGTH + evidence + 1));
      const trust = index === 0 ? STATIC_BONUS + STATIC_CONFIDENCE * spread : 0;
      const match = MATCH_WEIGHT * (index === 0 ? best : c.score);
      return { c, index, success, evidence, estimate, value: estimate + match + trust };
    });
    const eligible = rows.filter((r) => allowed.has(r.c)).sort((a, b) => b.value - a.value || a.index - b.index);
    const order = [...eligible, ...rows.filter((r) => !allowed.has(r.c))];
    const pick = eligible[0] ?? rows[0]!;
    // Exploring: trying an agent with no record instead of the static pick, or re-checking a static
    // pick whose record is clearly worse than another's (it won on the match, not on results).
    const explored =
      pick.index !== 0
        ? pick.evidence < EXPLORE_EVIDENCE
        : eligible.some((r) => r !== pick && r.evidence >= EXPLORE_EVIDENCE && r.estimate > pick.estimate + EXPLORE_MARGIN);
    return {
      ranked: order.map((r) => ({ agent: r.c.agent, score: r.c.score, estimate: r.estimate, evidence: r.evidence, value: r.value })),
      pick: pick.c.agent,
      explored,
      reason: explain(pick, rows[0]!),
    };
  }

  /** Per agent: outcomes remembered and their undecayed successes and failures (stats, debug). */
  snapshot(): Array<{ agent: string; remembered: number; successes: number; failures: number }> {
    return [...this.memory].map(([agent, list]) => ({
      agent,
      remembered: list.length,
      successes: list.reduce((sum, m) => sum + (m.success ? m.weight : 0), 0),
      failures: list.reduce((sum, m) => sum + (m.success ? 0 : m.weight), 0),
    }));
  }

  /** An agent's similarity- and retention-weighted successes and total outcomes for a task. */
  private evidence(agent: string, unit: Map<string, number>): { success: number; evidence: number } {
    let success = 0;
    let evidence = 0;
    for (const m of this.memory.get(agent) ?? []) {
      const similar = kernel(m.unit, unit);
      if (similar === 0) continue;
      const weight = similar * this.retention(m) * m.weight;
      evidence += weight;
      if (m.success) success += weight;
    }
    return { success, evidence };
  }

  private retention(m: Memory): number {
    const elapsed = Number.isFinite(m.at) && Number.isFinite(this.now) ? Math.max(0, this.now - m.at) : 0;
    return FADE ** m.traffic * DECAY ** m.own * 0.5 ** (elapsed / HALF_LIFE_MS);
  }
}

/** How often observe() drops outcomes that have faded below FORGET_BELOW. */
const PRUNE_EVERY = 32;

function vectorKey(unit: Map<string, number>): string {
  return [...unit].map(([term, w]) => `${term}:${w}`).join(' ');
}

/** Features scaled to unit length (cosine = dot product); non-positive weights dropped. */
function unitVector(features: Map<string, number>): Map<string, number> {
  const kept = [...features].filter(([, w]) => w > 0);
  const norm = Math.hypot(...kept.map(([, w]) => w));
  return new Map(kept.map(([term, w]) => [term, w / norm]));
}

/** How much one task says about another: cosine^SHARPNESS, 0 under SIMILARITY_FLOOR. */
function kernel(a: Map<string, number>, b: Map<string, number>): number {
  if (a.size > b.size) return kernel(b, a);
  let cosine = 0;
  for (const [term, w] of a) cosine += w * (b.get(term) ?? 0);
  return cosine < SIMILARITY_FLOOR ? 0 : Math.min(1, cosine) ** SHARPNESS;
}

/** The observed success rate (no prior), for the reason line. */
function rate(r: Row): number {
  return r.evidence > 0 ? r.success / r.evidence : 0;
}

function explain(pick: Row, statics: Row): string {
  const seen = (r: Row): number => Math.max(1, Math.round(r.evidence));
  if (pick === statics) {
    if (pick.evidence < 0.5) return `best capability match (score ${pick.c.score.toFixed(2)}); no outcomes for tasks like this yet`;
    return `best match and ${pct(rate(pick))} success over ${seen(pick)} similar tasks`;
  }
  const why =
    statics.evidence < 0.5
      ? `${statics.c.agent} (best match) has no record on tasks like this`
      : `${statics.c.agent} fails ${pct(1 - rate(statics))} of tasks like this (${seen(statics)} seen)`;
  const alternative =
    pick.evidence < EXPLORE_EVIDENCE
      ? `trying ${pick.c.agent} (match ${pick.c.score.toFixed(2)}, no record yet)`
      : `${pick.c.agent} succeeds ${pct(rate(pick))} (${seen(pick)} seen)`;
  return `${why}; ${alternative}`;
}

function pct(x: number): string {
  return `${Math.round(x * 100)} %`;
}
