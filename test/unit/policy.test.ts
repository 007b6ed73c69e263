import { describe, expect, it } from '@jest/globals';
import { CapabilityMatcher } from '../../src/router/match.js';
import type { AgentProfile } from '../../src/router/match.js';
import {
  FEEDBACK_WEIGHT,
  LearnedPolicy,
  PRIOR_MEAN,
  describeRecord,
  learnedRate,
  feedbackOutcome,
  outcomeOf,
  plausible,
} from '../../src/router/policy.js';
import type { PolicyCandidate } from '../../src/router/policy.js';

/** Seeded PRNG so every simulated run repeats exactly. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function profile(name: string, description: string, tags: string[], fallback = false): AgentProfile {
  return { name, description, skills: tags.map((t) => ({ id: t, name: t, description: '', tags: [t], examples: [] })), fallback };
}

const matcher = new CapabilityMatcher([
  profile('web_developer', 'Builds web pages, React components and front ends.', ['react', 'css', 'html', 'component', 'frontend', 'website', 'ui']),
  profile('data_analyst', 'Analyzes data and draws charts of sales and revenue.', ['chart', 'plot', 'sales', 'revenue', 'csv', 'dashboard', 'statistics']),
  profile('devops_engineer', 'Deploys services with Docker and CI pipelines.', ['docker', 'deploy', 'kubernetes', 'pipeline', 'ci']),
  profile('security_expert', 'Audits code for vulnerabilities.', ['security', 'audit', 'jwt', 'xss', 'vulnerability']),
  profile('general_assistant', 'Writes, translates and summarizes text.', ['translate', 'summarize', 'email'], true),
]);

/** data_analyst is the static pick (0.60 / 0.67), web_developer plausible (0.40 / 0.33). */
const DASHBOARD = ['Build a sales dashboard in React', 'Create a React dashboard for our sales'];
/** A tie (0.50 / 0.50): the profile order decides; then data only; then the generalist's. */
const DEPLOY = ['Deploy the React frontend with Docker'];
const PLOT = ['Plot monthly revenue from sales.csv', 'Plot weekly revenue from orders.csv'];
const AUDIT = ['Audit the React UI of the sales chart for XSS'];

interface Kind {
  tasks: string[];
  /** Success probability per agent; `others` for everyone else. */
  rates: Record<string, number>;
  others: number;
}

interface Run {
  /** Per kind: the agent picked and the static pick, task by task. */
  picks: string[][];
  statics: string[][];
}

/** Routes `n` tasks drawn from `kinds`; each pick's outcome is drawn and observed (no failover). */
function simulate(policy: LearnedPolicy, kinds: (at: number) => Kind[], n: number, seed: number): Run {
  const random = mulberry32(seed);
  const count = kinds(0).length;
  const run: Run = { picks: Array.from({ length: count }, () => []), statics: Array.from({ length: count }, () => []) };
  for (let i = 0; i < n; i++) {
    const index = Math.floor(random() * count);
    const kind = kinds(i)[index]!;
    const task = kind.tasks[Math.floor(random() * kind.tasks.length)]!;
    const candidates = matcher.candidates(task);
    const features = matcher.features(task);
    const { pick } = policy.choose(candidates, features);
    run.picks[index]!.push(pick);
    run.statics[index]!.push(candidates[0]!.agent);
    const success = random() < (kind.rates[pick] ?? kind.others);
    policy.observe({ agent: pick, features, outcome: success ? 'success' : 'failure' });
  }
  return run;
}

function blockShares(picks: string[], agent: string, size = 25): number[] {
  const out: number[] = [];
  for (let i = 0; i < picks.length; i += size) {
    const block = picks.slice(i, i + size);
    out.push(block.filter((p) => p === agent).length / block.length);
  }
  return out;
}

const failingStatic: Kind = { tasks: DASHBOARD, rates: { data_analyst: 0.2, web_developer: 0.95 }, others: 0.95 };

describe('CapabilityMatcher.features', () => {
  it('weighs the terms score() reads, summing to 1, capability words above filler', () => {
    const features = matcher.features('Build a sales dashboard in React');
    const total = [...features.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(1, 10);
    expect([...features.keys()].sort()).toEqual(['build', 'dashboard', 'react', 'sal']);
    expect(features.get('dashboard')!).toBeGreaterThan(features.get('build')!);
  });

  it('keeps unknown words weakly, drops unknown pairs, and is empty without words', () => {
    const features = matcher.features('dashboard for invoices');
    expect(features.get('invoic')!).toBeLessThan(features.get('dashboard')! / 5);
    expect([...features.keys()].some((t) => t.includes('-'))).toBe(false);
    expect(matcher.features('the of and').size).toBe(0);
  });
});

describe('plausible', () => {
  const c = (agent: string, score: number, fallback = false): PolicyCandidate => ({ agent, score, fallback });

  it('keeps the static pick and specialists near the best, never the generalist behind a specialist', () => {
    const list = [c('a', 0.8), c('b', 0.4), c('g', 0.9, true), c('d', 0.3), c('e', 0.1)];
    expect(plausible(list).map((x) => x.agent)).toEqual(['a', 'b']);
  });

  it('keeps the generalist when it is the static pick', () => {
    expect(plausible([c('g', 0, true), c('a', 0.33), c('b', 0.1)]).map((x) => x.agent)).toEqual(['g', 'a']);
  });
});

describe('LearnedPolicy', () => {
  it('(a) moves a kind whose static pick fails 80 % to a plausible agent that succeeds 95 %', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const run = simulate(new LearnedPolicy({ learn: true }), () => [failingStatic], 200, seed);
      const shares = blockShares(run.picks[0]!, 'web_developer');
      expect(shares.findIndex((s) => s >= 0.9)).toBeGreaterThanOrEqual(0); // reached within 200 tasks
      expect(shares[0]).toBeGreaterThanOrEqual(0.7); // after a handful of failures, not a block later
      expect(Math.min(...shares.slice(1))).toBeGreaterThanOrEqual(0.88); // and it stays there
    }
  });

  it('(a) also when that kind is mixed with kinds that share its words', () => {
    const kinds = (): Kind[] => [failingStatic, ...[DEPLOY, PLOT, AUDIT].map((tasks) => ({ tasks, rates: {}, others: 1 }))];
    for (const seed of [1, 2, 3]) {
      const run = simulate(new LearnedPolicy({ learn: true }), kinds, 800, seed);
      const shares = blockShares(run.picks[0]!, 'web_developer');
      expect(shares.slice(1).every((s) => s >= 0.88)).toBe(true);
      for (let k = 1; k < 4; k++) expect(run.picks[k]).toEqual(run.statics[k]);
    }
  });

  it('(b) keeps the static order for kinds where every agent succeeds equally', () => {
    for (const rate of [0.95, 0.9]) {
      for (const seed of [1, 2, 3]) {
        const kinds = (): Kind[] => [DASHBOARD, DEPLOY, PLOT, AUDIT].map((tasks) => ({ tasks, rates: {}, others: rate }));
        const run = simulate(new LearnedPolicy({ learn: true }), kinds, 800, seed);
        run.picks.forEach((picks, k) => {
          const same = picks.filter((p, i) => p === run.statics[k]![i]).length;
          expect(same / picks.length).toBeGreaterThanOrEqual(0.98);
        });
      }
    }
  });

  it('(c) an implausible agent is a candidate on its record alone; the generalist only as a last resort', () => {
    const policy = new LearnedPolicy({ learn: true });
    const features = matcher.features(DASHBOARD[0]!);
    const candidates: PolicyCandidate[] = [
      { agent: 'data_analyst', score: 0.8, fallback: false },
      { agent: 'web_developer', score: 0.5, fallback: false },
      { agent: 'general_assistant', score: 0.9, fallback: true },
      { agent: 'qa_tester', score: 0.1, fallback: false },
    ];
    const eligibility = (): Record<string, string | null> => Object.fromEntries(policy.choose(candidates, features).ranked.map((r) => [r.agent, r.eligible]));
    expect(eligibility()).toEqual({ data_analyst: 'match', web_developer: 'match', general_assistant: null, qa_tester: null });
    // Successes on a merely related task (cosine under RECORD_SIMILARITY) make no record.
    for (let i = 0; i < 20; i++) policy.observe({ agent: 'qa_tester', features: matcher.features('Plot weekly revenue from orders.csv in React'), outcome: 'success' });
    expect(eligibility()['qa_tester']).toBeNull();
    for (let i = 0; i < 2; i++) policy.observe({ agent: 'qa_tester', features, outcome: 'success' });
    expect(eligibility()['qa_tester']).toBe('record');
    // Both plausible agents fail: the generalist becomes a candidate of last resort.
    for (let i = 0; i < 8; i++) {
      policy.observe({ agent: 'data_analyst', features, outcome: 'failure' });
      policy.observe({ agent: 'web_developer', features, outcome: 'failure' });
    }
    expect(eligibility()['general_assistant']).toBe('last-resort');
  });

  it('(d) re-learns: when the good agent starts failing and the static pick recovers, routing flips back', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const recovered: Kind = { tasks: DASHBOARD, rates: { data_analyst: 0.95, web_developer: 0.2 }, others: 0.95 };
      const run = simulate(new LearnedPolicy({ learn: true }), (i) => [i < 200 ? failingStatic : recovered], 400, seed);
      const picks = run.picks[0]!;
      expect(picks.slice(150, 200).filter((p) => p === 'web_developer').length).toBeGreaterThanOrEqual(45);
      let back = 200;
      while (back < 400 && picks.slice(back, back + 10).filter((p) => p === 'data_analyst').length < 9) back++;
      expect(back - 200).toBeLessThanOrEqual(25);
      expect(picks.slice(back).filter((p) => p === 'data_analyst').length / (400 - back)).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('(e) maps outcomes: cancelled and interrupted say nothing; feedback counts double', () => {
    expect([outcomeOf('completed'), outcomeOf('failed'), outcomeOf('timeout')]).toEqual(['success', 'failure', 'failure']);
    expect([outcomeOf('cancelled'), outcomeOf('interrupted'), outcomeOf('running')]).toEqual([null, null, null]);
    expect(feedbackOutcome('bad')).toEqual({ outcome: 'failure', weight: FEEDBACK_WEIGHT });
    expect(FEEDBACK_WEIGHT).toBeGreaterThan(1);

    const features = matcher.features(DASHBOARD[0]!);
    const candidates = matcher.candidates(DASHBOARD[0]!);
    const once = new LearnedPolicy({ learn: true });
    once.observe({ agent: 'data_analyst', features, outcome: 'failure' });
    once.observe({ agent: 'data_analyst', features, outcome: 'failure', weight: 0 }); // ignored
    const rated = new LearnedPolicy({ learn: true });
    rated.observe({ agent: 'data_analyst', features, ...feedbackOutcome('bad') });
    const evidence = (p: LearnedPolicy): number => p.choose(candidates, features).ranked.find((r) => r.agent === 'data_analyst')!.evidence;
    expect(evidence(once)).toBeCloseTo(1, 6);
    expect(evidence(rated)).toBeCloseTo(FEEDBACK_WEIGHT, 6);
    expect(rated.choose(candidates, features).ranked.find((r) => r.agent === 'data_analyst')!.estimate!).toBeLessThan(
      once.choose(candidates, features).ranked.find((r) => r.agent === 'data_analyst')!.estimate!,
    );
  });

  it('explains its choice in one sentence per case and flags exploration', () => {
    const policy = new LearnedPolicy({ learn: true });
    const features = matcher.features(DASHBOARD[0]!);
    const candidates = matcher.candidates(DASHBOARD[0]!);
    expect(policy.choose(candidates, features)).toMatchObject({ kind: 'exploit', reason: 'best capability match (score 0.60) and no record yet on tasks like this' });
    policy.observe({ agent: 'data_analyst', features, outcome: 'success' });
    expect(policy.choose(candidates, features).reason).toBe('best capability match, with 79 % over 1.0 similar outcome');
    for (let i = 0; i < 5; i++) policy.observe({ agent: 'data_analyst', features, outcome: 'failure' });
    const trial = policy.choose(candidates, features);
    expect(trial).toMatchObject({ pick: 'web_developer', kind: 'explore', explored: true });
    expect(trial.reason).toMatch(/^data_analyst \(best match\) does worse on tasks like this \(\d+ % over [\d.]+ similar outcomes\), so web_developer \(match 0\.40, no record yet\) is tried$/);
    for (let i = 0; i < 10; i++) policy.observe({ agent: 'web_developer', features, outcome: 'success' });
    const settled = policy.choose(candidates, features);
    expect(settled).toMatchObject({ pick: 'web_developer', kind: 'exploit', explored: false });
    expect(settled.reason).toMatch(/^data_analyst \(best match\) does worse on tasks like this \(\d+ % over [\d.]+ similar outcomes\) than web_developer \(\d+ % over [\d.]+ similar outcomes\)$/);
    // Every number in the sentence is the one the table shows (describeRecord of estimate, evidence).
    const row = settled.ranked.find((r) => r.agent === 'web_developer')!;
    expect(settled.reason).toContain(describeRecord(row.estimate, row.evidence));
  });

  it('describes a record the same way everywhere', () => {
    expect(describeRecord(0.561, 4.2)).toBe('56 % over 4.2 similar outcomes');
    expect(describeRecord(0.75, 1)).toBe('75 % over 1.0 similar outcome');
    expect(describeRecord(0.75, 0)).toBe('no record yet');
    expect(describeRecord(null, 0)).toBe('learning off');
    expect(describeRecord(0.9, 16.4)).toBe('90 % over 16 similar outcomes');
    expect(learnedRate(0, 0)).toBe(PRIOR_MEAN);
  });

  it('(f) with learn: false routes exactly as the static matcher, whatever it is told', () => {
    const policy = new LearnedPolicy({ learn: false });
    for (const task of [...DASHBOARD, ...DEPLOY, ...PLOT, ...AUDIT, 'Translate this email into French']) {
      const features = matcher.features(task);
      const candidates = matcher.candidates(task);
      for (let i = 0; i < 5; i++) policy.observe({ agent: candidates[0]!.agent, features, outcome: 'failure' });
      const choice = policy.choose(candidates, features);
      expect(choice.pick).toBe(candidates[0]!.agent);
      expect(choice.ranked.map((r) => r.agent)).toEqual(candidates.map((c) => c.agent));
      expect(choice.ranked.every((r) => r.estimate === null && r.evidence === 0)).toBe(true);
      expect(choice.explored).toBe(false);
    }
  });

  it('(g) is deterministic: the same seed gives the same routing', () => {
    const once = (seed: number): string[][] =>
      simulate(new LearnedPolicy({ learn: true, random: mulberry32(seed) }), () => [failingStatic, { tasks: PLOT, rates: {}, others: 0.9 }], 300, seed).picks;
    expect(once(7)).toEqual(once(7));
    expect(once(7)).not.toEqual(once(8));
  });
});
