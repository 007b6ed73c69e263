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
 * Highest value first, among the candidates: the plausible matches (plausible() below), any agent
 * with a record of success on the same kind (RECORD_SUCCESS), and, once every plausible agent
 * fails the kind, the fallback agent and the agents that matched a word (FAILING_BELOW), as a
 * last resort. This is UCB-style
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
import type { DecisionKind, TaskStatus } from '../protocol/task.js';
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
 * are kept per agent: they bound the memory, and the work of a prune (observe() and choose() visit
 * groups of outcomes with the same task vector, not each outcome).
 */
const FORGET_BELOW = 0.01;
const MAX_MEMORY = 1000;

/**
 * An agent with this much similarity-weighted success on tasks like this one has a record: it is a
 * candidate whatever its capability match (evidence widens the candidate set). One success on the
 * same kind of task, typically earned through failover once the better matches failed.
 */
export const RECORD_SUCCESS = 1;
/**
 * Only outcomes on tasks at least this similar (cosine) make a record: the same kind of task, not
 * one that shares a word or two ("React" in a chart and in a deploy task). Looser evidence still
 * counts towards the estimate of an agent that is a candidate anyway.
 */
export const RECORD_SIMILARITY = 0.6;
/**
 * The plausible agents fail on a kind of task when each has a record (EXPLORE_EVIDENCE) and a
 * learned success under this: then the fallback agent, and any agent that matched a word of the
 * task, become candidates of last resort (the better match first, by value).
 */
export const FAILING_BELOW = 0.5;

export interface PolicyCandidate {
  agent: string;
  score: number;
  fallback: boolean;
}

export type { DecisionKind } from '../protocol/task.js';

/** Why an agent may be chosen at all (null: it is only a failover target). */
export type Eligibility = 'match' | 'record' | 'last-resort' | null;

export interface RankedChoice {
  agent: string;
  score: number;
  fallback: boolean;
  /** Posterior mean success for tasks like this; null when learning is off. */
  estimate: number | null;
  /** Effective number of similar outcomes behind the estimate. */
  evidence: number;
  /** What the decision compares: estimate + match credit (+ trust for the static pick). */
  value: number;
  eligible: Eligibility;
}

export interface Choice {
  /** The order to try agents in: eligible agents by value, then the rest by static rank. */
  ranked: RankedChoice[];
  pick: string;
  kind: Exclude<DecisionKind, 'forced'>;
  explored: boolean;
  /** Probability that this policy makes this choice: 1, the rule is deterministic. */
  probability: number;
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
 * The one formula for "how well does this agent do tasks like this": the posterior mean of the
 * Beta prior (PRIOR_MEAN, PRIOR_STRENGTH) after `success` of `evidence` similarity-weighted
 * outcomes. `route`, `task`, `stats`, the reason line and the decision itself all read this.
 */
export function learnedRate(success: number, evidence: number): number {
  return (PRIOR_MEAN * PRIOR_STRENGTH + success) / (PRIOR_STRENGTH + evidence);
}

/** Under this much evidence there is no record to speak of: shown as "no record yet". */
export const SHOWN_EVIDENCE = 0.05;

/**
 * The one wording of a learned rate and its evidence ("56 % over 4.2 similar outcomes"), so
 * every screen says the same thing about the same numbers. Null estimate: learning is off.
 */
export function describeRecord(estimate: number | null | undefined, evidence: number | undefined): string {
  if (estimate === null || estimate === undefined) return 'learning off';
  if (!evidence || evidence < SHOWN_EVIDENCE) return 'no record yet';
  return `${Math.round(estimate * 100)} % over ${formatEvidence(evidence)} similar outcome${evidence >= 0.95 && evidence < 1.05 ? '' : 's'}`;
}

/** Evidence as shown: one decimal under 10, whole above. */
export function formatEvidence(evidence: number): string {
  return evidence < 9.95 ? evidence.toFixed(1) : String(Math.round(evidence));
}

/**
 * The candidates (static order, the matcher's pick first) that may be chosen on their match alone:
 * the static pick, and specialists scoring at least PLAUSIBLE_FLOOR and PLAUSIBLE_SHARE of the best
 * specialist. The generalist only when it is the static pick: that it answers anything is no
 * evidence it can do a specialist's task. Evidence widens this set (choose()). Here rather than in
 * match.ts: it is a rule about exploring, not about matching.
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

/**
 * One remembered outcome. Its group's traffic and own-traffic when it came: what its group saw
 * since is the difference (every later outcome ages a whole group alike).
 */
interface Memory {
  success: boolean;
  weight: number;
  at: number;
  traffic0: number;
  own0: number;
  /** Its retention factored out of the group's: weight · e^(−(traffic0·ln FADE + own0·ln DECAY) + (at − base)·ln 2 / HALF_LIFE_MS). */
  term: number;
  gone: boolean;
}

/**
 * An agent's remembered outcomes on one task vector. They share their kernel with any task, and
 * every later outcome ages them alike, so a decision reads one sum per group instead of visiting
 * each outcome: retention sum = e^(traffic·ln FADE + own·ln DECAY) · (Σ timed terms · e^(−(now − base)·ln 2 / HALF_LIFE_MS) + Σ untimed terms).
 * Outcomes without a (finite) time have no time part (see retention()).
 */
interface Group {
  unit: Map<string, number>;
  key: string;
  /** In arrival order (so the oldest, least retained, come first). */
  members: Memory[];
  /** Similarity-weighted outcomes since the group's base: of anyone (for FADE) and of this agent (for DECAY). */
  traffic: number;
  own: number;
  /** The time the timed terms are measured from (NaN until the group has a timed member). */
  base: number;
  timedAll: number;
  timedSuccess: number;
  untimedAll: number;
  untimedSuccess: number;
}

/** One agent's memory: its groups by vector key, and every outcome in arrival order (MAX_MEMORY drops the oldest). */
interface AgentMemory {
  groups: Map<string, Group>;
  order: Array<{ memory: Memory; group: Group }>;
}

interface Row {
  c: PolicyCandidate;
  index: number;
  success: number;
  /** Successes on tasks of the same kind (RECORD_SIMILARITY): what makes a record. */
  close: number;
  evidence: number;
  estimate: number;
  value: number;
  eligible: Eligibility;
}

export class LearnedPolicy {
  private readonly learn: boolean;
  private readonly memory = new Map<string, AgentMemory>();
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
    // Every remembered outcome ages by how similar this one is to it (see the file comment): a
    // group at a time. Traffic repeats itself, so a kernel is computed once per distinct vector.
    const kernels = new Map<string, number>();
    const prune = ++this.observed % PRUNE_EVERY === 0;
    for (const [agent, mine] of this.memory) {
      for (const group of mine.groups.values()) {
        let similar = kernels.get(group.key);
        if (similar === undefined) kernels.set(group.key, (similar = kernel(group.unit, unit)));
        if (similar === 0) continue;
        group.traffic += similar;
        if (agent === o.agent) group.own += similar;
      }
      // Forgotten outcomes weigh under FORGET_BELOW: dropping them now or a few tasks later
      // changes no decision, and filtering on every outcome was most of the cost.
      if (prune) this.prune(mine);
    }
    let mine = this.memory.get(o.agent);
    if (!mine) this.memory.set(o.agent, (mine = { groups: new Map(), order: [] }));
    const key = vectorKey(unit);
    let group = mine.groups.get(key);
    if (!group) {
      group = { unit, key, members: [], traffic: 0, own: 0, base: Number.NaN, timedAll: 0, timedSuccess: 0, untimedAll: 0, untimedSuccess: 0 };
      mine.groups.set(key, group);
    }
    const at = o.at ?? this.now;
    if (Number.isFinite(at) && !Number.isFinite(group.base)) group.base = at;
    const memory: Memory = { success: o.outcome === 'success', weight, at, traffic0: group.traffic, own0: group.own, term: 0, gone: false };
    memory.term = termOf(memory, group);
    group.members.push(memory);
    addTerm(group, memory, 1);
    mine.order.push({ memory, group });
    while (mine.order.length > MAX_MEMORY) {
      const oldest = mine.order.shift()!;
      oldest.memory.gone = true;
      const members = oldest.group.members;
      members.splice(members[0] === oldest.memory ? 0 : members.indexOf(oldest.memory), 1);
      addTerm(oldest.group, oldest.memory, -1);
      if (members.length === 0) mine.groups.delete(oldest.group.key);
    }
  }

  /** Drops an agent's outcomes retained under FORGET_BELOW, and re-bases each group's sums (exact again, and bounded). */
  private prune(mine: AgentMemory): void {
    for (const group of mine.groups.values()) {
      const kept = group.members.filter((memory) => {
        if (this.retention(memory, group) >= FORGET_BELOW) return true;
        memory.gone = true;
        return false;
      });
      if (kept.length === 0) {
        mine.groups.delete(group.key);
        continue;
      }
      for (const memory of kept) {
        memory.traffic0 -= group.traffic;
        memory.own0 -= group.own;
      }
      group.traffic = 0;
      group.own = 0;
      if (Number.isFinite(this.now) && kept.some((memory) => Number.isFinite(memory.at))) group.base = this.now;
      group.members = kept;
      group.timedAll = group.timedSuccess = group.untimedAll = group.untimedSuccess = 0;
      for (const memory of kept) {
        memory.term = termOf(memory, group);
        addTerm(group, memory, 1);
      }
    }
    mine.order = mine.order.filter((entry) => !entry.memory.gone);
  }

  choose(candidates: readonly PolicyCandidate[], features: Map<string, number>): Choice {
    const first = candidates[0];
    if (!first) throw new RangeError('LearnedPolicy.choose needs at least one candidate');
    if (!this.learn) {
      return {
        ranked: candidates.map((c, index) => ({ agent: c.agent, score: c.score, fallback: c.fallback, estimate: null, evidence: 0, value: c.score, eligible: index === 0 ? 'match' : null })),
        pick: first.agent,
        kind: 'exploit',
        explored: false,
        probability: 1,
        reason: `best capability match (score ${first.score.toFixed(2)}); learning is off`,
      };
    }
    const matched = new Set(plausible(candidates));
    // The matcher ranked its pick first (a generalist with no matching words included), so the
    // pick is credited the best score: a fallback pick is not a worse match than its alternatives.
    const best = Math.max(...candidates.map((c) => c.score));
    const unit = unitVector(features);
    const rows: Row[] = candidates.map((c, index) => {
      const { success, evidence, close } = this.evidence(c.agent, unit);
      const estimate = learnedRate(success, evidence);
      const spread = Math.sqrt((estimate * (1 - estimate)) / (PRIOR_STRENGTH + evidence + 1));
      const trust = index === 0 ? STATIC_BONUS + STATIC_CONFIDENCE * spread : 0;
      const match = MATCH_WEIGHT * (index === 0 ? best : c.score);
      return { c, index, success, close, evidence, estimate, value: estimate + match + trust, eligible: null };
    });
    // Evidence widens the set: a record of success on tasks like this one makes an agent a
    // candidate whatever its match; and once every plausible agent fails, the fallback agent and
    // the agents that matched a word of the task are candidates too, as a last resort.
    const plausibleRows = rows.filter((r) => matched.has(r.c));
    const failing = plausibleRows.every((r) => r.evidence >= EXPLORE_EVIDENCE && r.estimate < FAILING_BELOW);
    for (const r of rows) {
      if (matched.has(r.c)) r.eligible = 'match';
      else if (r.close >= RECORD_SUCCESS) r.eligible = 'record';
      else if (failing && (r.c.fallback || r.c.score > 0)) r.eligible = 'last-resort';
    }
    const eligible = rows.filter((r) => r.eligible !== null).sort((a, b) => b.value - a.value || a.index - b.index);
    const order = [...eligible, ...rows.filter((r) => r.eligible === null)];
    const pick = eligible[0] ?? rows[0]!;
    const statics = rows[0]!;
    // Exploring: trying an agent with no record instead of the static pick, or re-checking a static
    // pick whose record is clearly worse than another's (it won on the match, not on results).
    const recheck = pick === statics && eligible.some((r) => r !== pick && r.evidence >= EXPLORE_EVIDENCE && r.estimate > pick.estimate + EXPLORE_MARGIN);
    const kind: Choice['kind'] =
      pick.eligible === 'last-resort' && pick.c.fallback ? 'fallback' : recheck || (pick !== statics && pick.evidence < EXPLORE_EVIDENCE) ? 'explore' : 'exploit';
    return {
      ranked: order.map((r) => ({ agent: r.c.agent, score: r.c.score, fallback: r.c.fallback, estimate: r.estimate, evidence: r.evidence, value: r.value, eligible: r.eligible })),
      pick: pick.c.agent,
      kind,
      explored: kind !== 'exploit',
      probability: 1,
      reason: explain(pick, statics, eligible, kind),
    };
  }

  /** Per agent: outcomes remembered and their undecayed successes and failures (stats, debug). */
  snapshot(): Array<{ agent: string; remembered: number; successes: number; failures: number }> {
    return [...this.memory].map(([agent, mine]) => ({
      agent,
      remembered: mine.order.length,
      successes: mine.order.reduce((sum, { memory }) => sum + (memory.success ? memory.weight : 0), 0),
      failures: mine.order.reduce((sum, { memory }) => sum + (memory.success ? 0 : memory.weight), 0),
    }));
  }

  /**
   * An agent's similarity- and retention-weighted successes and total outcomes for a task, and the
   * successes on tasks of the same kind (RECORD_SIMILARITY).
   */
  private evidence(agent: string, unit: Map<string, number>): { success: number; evidence: number; close: number } {
    let success = 0;
    let evidence = 0;
    let close = 0;
    for (const group of this.memory.get(agent)?.groups.values() ?? []) {
      const similar = kernel(group.unit, unit);
      if (similar === 0) continue;
      const aged = Math.exp(group.traffic * LN_FADE + group.own * LN_DECAY);
      const elapsed = group.timedAll > 0 && Number.isFinite(group.base) && Number.isFinite(this.now) ? Math.exp(-(this.now - group.base) * LN2_PER_HALF_LIFE) : 0;
      const all = aged * (group.timedAll * elapsed + group.untimedAll);
      const successes = aged * (group.timedSuccess * elapsed + group.untimedSuccess);
      evidence += similar * all;
      success += similar * successes;
      if (similar >= RECORD_KERNEL) close += similar * successes;
    }
    return { success, evidence, close };
  }

  /** FADE^traffic · DECAY^own · ½^(elapsed / HALF_LIFE_MS) of one outcome, as one exponential. */
  private retention(m: Memory, group: Group): number {
    const elapsed = Number.isFinite(m.at) && Number.isFinite(this.now) ? Math.max(0, this.now - m.at) : 0;
    return Math.exp((group.traffic - m.traffic0) * LN_FADE + (group.own - m.own0) * LN_DECAY - elapsed * LN2_PER_HALF_LIFE);
  }
}

/** An outcome's share of its group's sums (see Group): its weight and retention with the group's part factored out. */
function termOf(m: Memory, group: Group): number {
  const time = Number.isFinite(m.at) ? (m.at - group.base) * LN2_PER_HALF_LIFE : 0;
  return m.weight * Math.exp(-(m.traffic0 * LN_FADE + m.own0 * LN_DECAY) + time);
}

function addTerm(group: Group, m: Memory, sign: 1 | -1): void {
  const term = sign * m.term;
  // A removal's rounding must not leave a sum below zero (prune() recomputes them exactly).
  const add = (sum: number) => Math.max(0, sum + term);
  if (Number.isFinite(m.at)) {
    group.timedAll = add(group.timedAll);
    if (m.success) group.timedSuccess = add(group.timedSuccess);
  } else {
    group.untimedAll = add(group.untimedAll);
    if (m.success) group.untimedSuccess = add(group.untimedSuccess);
  }
}

const RECORD_KERNEL = RECORD_SIMILARITY ** SHARPNESS;
const LN_FADE = Math.log(FADE);
const LN_DECAY = Math.log(DECAY);
const LN2_PER_HALF_LIFE = Math.LN2 / HALF_LIFE_MS;

/** How often observe() drops outcomes that have faded below FORGET_BELOW. */
const PRUNE_EVERY = 32;

function vectorKey(unit: Map<string, number>): string {
  return [...unit].map(([term, w]) => `${term}:${w}`).join(' ');
}

/**
 * The unit vector of each features map seen: choose() and then observe() of the same task get the
 * same map from the router, so it is scaled once. Features maps are never changed once made.
 */
const units = new WeakMap<Map<string, number>, Map<string, number>>();

/** Features scaled to unit length (cosine = dot product); non-positive weights dropped. */
function unitVector(features: Map<string, number>): Map<string, number> {
  let unit = units.get(features);
  if (!unit) units.set(features, (unit = scaleToUnit(features)));
  return unit;
}

function scaleToUnit(features: Map<string, number>): Map<string, number> {
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

/**
 * The decision in one sentence, with the numbers of describeRecord() (the same ones `route`
 * shows in its table): one wording per case, so a reader can tell the cases apart.
 */
function explain(pick: Row, statics: Row, eligible: readonly Row[], kind: Choice['kind']): string {
  const record = (r: Row): string => describeRecord(r.estimate, r.evidence);
  const name = (r: Row): string => r.c.agent;
  if (pick.eligible === 'last-resort') {
    const failing = eligible.filter((r) => r.eligible === 'match').map((r) => `${name(r)} ${record(r)}`);
    const who = pick.c.fallback ? `the fallback ${name(pick)}` : `${name(pick)} (match ${pick.c.score.toFixed(2)}, ${record(pick)})`;
    return `every plausible agent fails on tasks like this (${failing.join('; ')}), so ${who} is tried as a last resort`;
  }
  if (pick === statics) {
    if (pick.evidence < SHOWN_EVIDENCE) return `best capability match (score ${pick.c.score.toFixed(2)}) and no record yet on tasks like this`;
    if (kind === 'explore') {
      const better = eligible.filter((r) => r !== pick && r.evidence >= EXPLORE_EVIDENCE).sort((a, b) => b.estimate - a.estimate)[0]!;
      return `best capability match, re-tried now that its old failures have faded (${record(pick)}), although ${name(better)} does better (${record(better)})`;
    }
    return `best capability match, with ${record(pick)}`;
  }
  const why = statics.evidence < SHOWN_EVIDENCE ? `${name(statics)} (best match) has no record on tasks like this` : `${name(statics)} (best match) does worse on tasks like this (${record(statics)})`;
  if (kind === 'explore') return `${why}, so ${name(pick)} (match ${pick.c.score.toFixed(2)}, no record yet) is tried`;
  if (pick.eligible === 'record') return `${why}, and ${name(pick)}, though a weaker match (${pick.c.score.toFixed(2)}), has a record of success (${record(pick)})`;
  return `${why} than ${name(pick)} (${record(pick)})`;
}
