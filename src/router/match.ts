/**
 * Capability matching: scores a task's text against what each agent says it can do (its card's
 * skills, tags and examples, merged with agents.yaml) and ranks the agents. No agent is named
 * here; a generalist is whichever profile says `fallback: true`.
 *
 * Scoring, in short:
 * - Every profile is reduced to terms (stems and adjacent-word pairs, see text.ts), each with the
 *   weight of the strongest field it appears in: FIELD_WEIGHTS (a capability tag says more about
 *   an agent than a word in a sentence describing it).
 * - Each term is multiplied by its IDF across agents, ln((N + 1) / df): a term only one agent has
 *   weighs most, one every agent has almost nothing.
 * - An agent's raw score is the sum of its weights over the task's distinct terms.
 * - score = raw / max(possible, floor), where `possible` is the sum over the task's terms of the
 *   best weight any agent has for it. So 1 means "this agent is the best match for every term of
 *   the task anybody knows", and vocabulary another agent owns (the generalist's "translate")
 *   lowers a specialist's share. The floor (two tag-strength terms unique to one agent) keeps a
 *   task whose only known word is a passing mention in an example or a description from reading
 *   as certain.
 * - Ranking: specialists at or above MIN_CONFIDENCE first, then fallback agents, then the rest;
 *   when no specialist reaches it the fallback agents come first. Within a tier, higher score
 *   first, then the order the profiles were given (deterministic ties).
 */
import type { AgentConfig } from '../config/types.js';
import { humanize } from '../protocol/agent-card.js';
import { tagTerms, termsOf } from './text.js';

export interface SkillProfile {
  id: string;
  name: string;
  description: string;
  tags: string[];
  examples: string[];
}

export interface AgentProfile {
  name: string;
  description: string;
  skills: SkillProfile[];
  /** The generalist: ranked first only when no specialist is confident. */
  fallback: boolean;
}

export interface AgentMatch {
  agent: string;
  /** 0..1: the share of the task's known vocabulary this agent covers (see the file comment). */
  score: number;
  /** The task's words (or word pairs) that matched this agent, in task order. */
  matched: string[];
}

/** How much a term says about an agent, by where in its profile the term appears. */
export const FIELD_WEIGHTS = { tag: 3, name: 2, example: 2, description: 1 } as const;

/**
 * The score a specialist needs to outrank the generalist. With six agents the floor is two unique
 * tags (2·3·ln 7 ≈ 11.7), so a task whose only known word is one capability unique to an agent
 * scores 0.5 and passes; alone, a tag two agents share (3·ln 3.5 ≈ 3.8 → 0.32), an example word
 * (≈ 0.33) or two description words (≈ 0.33) do not: "plan a trip" is not a test plan. And a
 * specialist covering under 40% of what the task says loses to the generalist's vocabulary
 * ("translate the error messages of our React app into Spanish").
 */
export const MIN_CONFIDENCE = 0.4;

/**
 * A task word no agent's profile has still tells one kind of task from another ("checkout",
 * "invoice"), so the learned policy keeps it as a feature, but weakly: a quarter of a word
 * unique to one agent's description (≈ 1/12 of a unique tag), so a file name or a typo can
 * neither dilute the known vocabulary much nor carry what was learned to unrelated tasks.
 * Unknown word pairs are dropped: they only repeat their words.
 */
export const UNKNOWN_TERM_SHARE = 0.25;

/** A ranked agent with its generalist flag: what the learned policy chooses from. */
export interface MatchCandidate extends AgentMatch {
  fallback: boolean;
}

/** The profile agents.yaml describes: one skill per capability, as the agent's card builds it. */
export function profileFromConfig(agent: AgentConfig): AgentProfile {
  return {
    name: agent.name,
    description: agent.description,
    skills: agent.capabilities.map((capability) => ({
      id: capability,
      name: humanize(capability),
      description: '',
      tags: [capability],
      examples: [...agent.examples],
    })),
    fallback: agent.fallback,
  };
}

/**
 * The profile an A2A agent card (v1.0 or v0.3: both carry `name`, `description`, `skills`)
 * reports; missing or mistyped fields count as empty. Null when it is not a card with a name.
 */
export function profileFromCard(card: unknown, fallback: boolean): AgentProfile | null {
  if (!isRecord(card)) return null;
  const name = text(card['name']);
  if (name === '') return null;
  const skills = Array.isArray(card['skills']) ? card['skills'].filter(isRecord) : [];
  return {
    name,
    description: text(card['description']),
    skills: skills.map((skill) => ({
      id: text(skill['id']),
      name: text(skill['name']),
      description: text(skill['description']),
      tags: texts(skill['tags']),
      examples: texts(skill['examples']),
    })),
    fallback,
  };
}

/**
 * agents.yaml's profile with what the agent's own card adds: skills are merged by id (tags and
 * examples united), new skills appended. Name and fallback come from agents.yaml, which the user
 * controls; the card's description is used only when agents.yaml has none.
 */
export function mergeProfiles(config: AgentProfile, card: AgentProfile | null): AgentProfile {
  if (card === null) return config;
  const skills = config.skills.map((s) => ({ ...s, tags: [...s.tags], examples: [...s.examples] }));
  for (const skill of card.skills) {
    const same = skills.find((s) => s.id === skill.id && s.id !== '');
    if (!same) {
      skills.push({ ...skill, tags: [...skill.tags], examples: [...skill.examples] });
      continue;
    }
    same.tags = unique([...same.tags, ...skill.tags]);
    same.examples = unique([...same.examples, ...skill.examples]);
    if (same.description === '') same.description = skill.description;
  }
  return { ...config, description: config.description || card.description, skills };
}

interface Posting {
  agent: number;
  weight: number;
}

export class CapabilityMatcher {
  private readonly profiles: readonly AgentProfile[];
  /** term → the agents having it, with field weight × IDF. */
  private readonly postings = new Map<string, Posting[]>();
  /** term → the best weight any agent has for it (the task's `possible` sums these). */
  private readonly best = new Map<string, number>();
  private readonly floor: number;
  /** route() asks score() and features() of the same task in a row: its terms are split once. */
  private lastTerms: { task: string; terms: Map<string, string> } | null = null;

  constructor(profiles: readonly AgentProfile[]) {
    this.profiles = [...profiles];
    const fields = this.profiles.map(profileTerms);
    const n = Math.max(this.profiles.length, 1);
    const df = new Map<string, number>();
    for (const terms of fields) for (const term of terms.keys()) df.set(term, (df.get(term) ?? 0) + 1);
    fields.forEach((terms, agent) => {
      for (const [term, field] of terms) {
        const weight = field * Math.log((n + 1) / (df.get(term) ?? 1));
        const list = this.postings.get(term) ?? [];
        list.push({ agent, weight });
        this.postings.set(term, list);
        this.best.set(term, Math.max(this.best.get(term) ?? 0, weight));
      }
    });
    // Two capability tags unique to one agent: the evidence of a sure match (see MIN_CONFIDENCE).
    this.floor = 2 * FIELD_WEIGHTS.tag * Math.log(n + 1);
  }

  /** Every agent, best match first (see the file comment for the ranking rules). */
  score(task: string): AgentMatch[] {
    const raw = this.profiles.map(() => 0);
    const matched: string[][] = this.profiles.map(() => []);
    let possible = 0;
    for (const [term, surface] of this.termsOf(task)) {
      const list = this.postings.get(term);
      if (!list) continue;
      possible += this.best.get(term) ?? 0;
      for (const { agent, weight } of list) {
        raw[agent] = (raw[agent] ?? 0) + weight;
        matched[agent]?.push(surface);
      }
    }
    const denominator = Math.max(possible, this.floor);
    const rows = this.profiles.map((profile, index) => ({
      index,
      fallback: profile.fallback,
      match: { agent: profile.name, score: (raw[index] ?? 0) / denominator, matched: matched[index] ?? [] },
    }));
    const confident = rows.some((r) => !r.fallback && r.match.score >= MIN_CONFIDENCE);
    const tier = (r: (typeof rows)[number]): number => {
      if (r.fallback) return confident ? 1 : 0;
      return r.match.score >= MIN_CONFIDENCE ? 0 : 2;
    };
    rows.sort((a, b) => tier(a) - tier(b) || b.match.score - a.match.score || a.index - b.index);
    return rows.map((r) => r.match);
  }

  /** score() in the same (static) order, each agent with its `fallback` flag. */
  candidates(task: string): MatchCandidate[] {
    const fallback = new Set(this.profiles.filter((p) => p.fallback).map((p) => p.name));
    return this.score(task).map((match) => ({ ...match, fallback: fallback.has(match.agent) }));
  }

  /**
   * What the learned policy keys its evidence on: the task's terms (the same terms score() reads)
   * → weight, summing to 1 (empty when the task has no words). A known term weighs what it can
   * add to `possible` in score() (best field weight × IDF), so a capability one agent owns
   * characterises the task more than a word every profile mentions; an unknown word weighs
   * UNKNOWN_TERM_SHARE × ln(N + 1).
   */
  features(task: string): Map<string, number> {
    const unknown = UNKNOWN_TERM_SHARE * FIELD_WEIGHTS.description * Math.log(Math.max(this.profiles.length, 1) + 1);
    const out = new Map<string, number>();
    let total = 0;
    for (const term of this.termsOf(task).keys()) {
      const weight = this.best.get(term) ?? (term.includes('-') ? 0 : unknown);
      if (weight <= 0) continue;
      out.set(term, weight);
      total += weight;
    }
    for (const [term, weight] of out) out.set(term, weight / total);
    return out;
  }

  private termsOf(task: string): Map<string, string> {
    if (this.lastTerms?.task !== task) this.lastTerms = { task, terms: termsOf(task) };
    return this.lastTerms.terms;
  }
}

/** A profile's terms, each with the weight of the strongest field it appears in. */
function profileTerms(profile: AgentProfile): Map<string, number> {
  const out = new Map<string, number>();
  const put = (term: string, weight: number): void => {
    if ((out.get(term) ?? 0) < weight) out.set(term, weight);
  };
  const addText = (values: Iterable<string>, weight: number): void => {
    for (const value of new Set(values)) for (const term of termsOf(value).keys()) put(term, weight);
  };
  const { skills } = profile;
  // The name (`data_analyst`) is words the user may type ("ask the analyst"), worth a description's.
  addText([profile.name.replace(/[_.]+/g, ' '), profile.description, ...skills.map((s) => s.description)], FIELD_WEIGHTS.description);
  addText(skills.flatMap((s) => s.examples), FIELD_WEIGHTS.example);
  addText(skills.map((s) => s.name), FIELD_WEIGHTS.name);
  for (const tag of new Set(skills.flatMap((s) => [s.id, ...s.tags]))) {
    for (const term of tagTerms(tag)) put(term, FIELD_WEIGHTS.tag);
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function texts(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
