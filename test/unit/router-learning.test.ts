/**
 * The router learning on the repository's own agents.yaml, fed the ledger events a dispatcher
 * writes (submitted, then the attempt), in simulated worlds.
 */
import { describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import type { LedgerEvent } from '../../src/protocol/events.js';
import { profileFromConfig } from '../../src/router/match.js';
import { PLAUSIBLE_SHARE } from '../../src/router/policy.js';
import { TaskRouter } from '../../src/router/router.js';
import type { RouteDecision } from '../../src/router/router.js';

const config = loadConfig(fileURLToPath(new URL('../../agents.yaml', import.meta.url)));
const profiles = config.agents.map(profileFromConfig);

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

/** "Write unit tests for the cart component": qa_tester is the sole plausible match (0.73). */
const UNIT_TESTS = (n: number): string =>
  `Write unit tests for the ${['cart', 'invoice', 'pricing', 'checkout', 'profile', 'search'][n % 6]} component`;
const PLOT = (n: number): string => `Plot monthly revenue from sales_${n}.csv and describe the trend`;
const DEPLOY = (n: number): string => `Set up a CI pipeline that deploys service ${n} to staging on every merge`;

interface Outcome {
  decision: RouteDecision;
  first: string;
  attempts: string[];
  completed: boolean;
}

class World {
  readonly router = new TaskRouter(() => ({ version: 0, profiles }), true);
  private readonly random: () => number;
  private id = 0;
  private clock = Date.parse('2025-01-01T00:00:00Z');

  constructor(seed: number) {
    this.random = mulberry32(seed);
  }

  /**
   * One task as the dispatcher runs it: the pick's attempt, its outcome drawn from `rate`. A failed
   * outcome ends the task (the dispatcher fails over only when an instance is unreachable); with
   * `failover` the attempts go on down `ranked` (up to 3), as they do after transport failures.
   */
  run(input: string, rate: (agent: string) => number, failover = false): Outcome {
    const taskId = `t${++this.id}`;
    const decision = this.router.route(input);
    const ts = (): string => new Date((this.clock += 1000)).toISOString();
    this.feed({ v: 1, ts: ts(), taskId, event: 'task.submitted', input, agent: null, timeoutMs: 1000 });
    const attempts: string[] = [];
    let completed = false;
    for (const { agent } of decision.ranked.slice(0, failover ? 3 : 1)) {
      attempts.push(agent);
      completed = this.random() < rate(agent);
      this.feed({ v: 1, ts: ts(), taskId, event: 'task.attempt', attempt: attempts.length, agent, instance: 0, status: completed ? 'completed' : 'failed', error: null, durationMs: 1 });
      if (completed) break;
    }
    return { decision, first: attempts[0]!, attempts, completed };
  }

  feed(event: LedgerEvent): void {
    this.router.learnFrom(event);
  }
}

const share = (outcomes: Outcome[], agent: string): number => outcomes.filter((o) => o.first === agent).length / outcomes.length;

describe('evidence widens the candidate set (repository agents.yaml, failover as the dispatcher does it)', () => {
  it('a failing sole specialist loses its kind within about 25 tasks to the agent that completes it', () => {
    expect(new TaskRouter(() => ({ version: 0, profiles }), true).route(UNIT_TESTS(0))).toMatchObject({ pick: 'qa_tester', static: 'qa_tester', decision: 'exploit' });
    for (const seed of [1, 2, 3]) {
      const world = new World(seed);
      const rate = (agent: string): number => (agent === 'qa_tester' ? 0.1 : 0.95);
      const outcomes = Array.from({ length: 150 }, (_, n) => world.run(UNIT_TESTS(n), rate));
      expect(share(outcomes.slice(25), 'web_developer')).toBeGreaterThanOrEqual(0.9);
      const moved = outcomes.find((o) => o.first === 'web_developer')!;
      // web_developer (match 0.27) sits under the plausibility bar: its record made it a candidate.
      const scores = Object.fromEntries(moved.decision.candidates.map((c) => [c.agent, c.score]));
      expect(scores['web_developer']!).toBeLessThan(PLAUSIBLE_SHARE * scores['qa_tester']!);
      // First as a last resort (qa_tester fails, web_developer matched a word), then on its record.
      expect(moved.decision.reason).toMatch(/^every plausible agent fails on tasks like this \(qa_tester \d+ % over [\d.]+ similar outcomes\), so web_developer \(match 0\.\d\d, no record yet\) is tried as a last resort$/);
      expect(moved.decision.decision).toBe('explore');
      const kept = outcomes.slice(-1)[0]!.decision;
      expect(kept).toMatchObject({ pick: 'web_developer', decision: 'exploit' });
      expect(kept.reason).toMatch(/^qa_tester \(best match\) does worse on tasks like this \(\d+ % over [\d.]+ similar outcomes?\), and web_developer, though a weaker match \(0\.\d\d\), has a record of success \(\d+ % over [\d.]+ similar outcomes?\)$/);
    }
  });

  it('re-tries the sole specialist now and then, so that it wins its kind back once it recovers', () => {
    const world = new World(7);
    const failing = Array.from({ length: 100 }, (_, n) => world.run(UNIT_TESTS(n), (agent) => (agent === 'qa_tester' ? 0.1 : 0.95)));
    expect(share(failing.slice(50), 'web_developer')).toBeGreaterThanOrEqual(0.9);
    // qa_tester recovers: the fading of its failures brings it back, and its results keep it.
    const recovered = Array.from({ length: 900 }, (_, n) => world.run(UNIT_TESTS(n), () => 0.95));
    const retry = recovered.findIndex((o) => o.first === 'qa_tester');
    expect(retry).toBeGreaterThanOrEqual(0);
    expect(recovered[retry]!.decision.reason).toMatch(/^best capability match/);
    expect(share(recovered.slice(-100), 'qa_tester')).toBeGreaterThanOrEqual(0.9);
  });

  it('keeps the static order when records are equal, failover included', () => {
    for (const seed of [1, 2]) {
      const world = new World(seed);
      const kinds = [UNIT_TESTS, PLOT, DEPLOY];
      const outcomes = Array.from({ length: 600 }, (_, n) => world.run(kinds[n % 3]!(n), () => 0.9, true));
      const left = outcomes.filter((o) => o.decision.pick !== o.decision.static).length;
      expect(left / outcomes.length).toBeLessThanOrEqual(0.02);
    }
  });

  it('other kinds keep their static routing while one kind moves', () => {
    const world = new World(3);
    const rate = (input: string) => (agent: string) => (agent === 'qa_tester' && input.includes('unit') ? 0.1 : 0.95);
    const others: Outcome[] = [];
    for (let n = 0; n < 240; n++) {
      const input = n % 3 === 0 ? UNIT_TESTS(n) : n % 3 === 1 ? PLOT(n) : DEPLOY(n);
      const outcome = world.run(input, rate(input));
      if (n % 3 !== 0) others.push(outcome);
    }
    expect(others.every((o) => o.first === o.decision.static)).toBe(true);
  });

  it('tries the fallback agent as a last resort once every plausible agent fails, and keeps it if it succeeds', () => {
    // No failover here (one attempt each), so only the last-resort rule can reach the generalist.
    const router = new TaskRouter(() => ({ version: 0, profiles }), true);
    const input = 'Compute the median and a histogram of the sensor readings in data.csv';
    const first = router.route(input);
    expect(first.pick).toBe('data_analyst');
    expect(first.candidates.find((c) => c.agent === 'general_assistant')!.score).toBe(0);
    let id = 0;
    const feed = (agent: string, status: 'completed' | 'failed'): void => {
      const taskId = `f${++id}`;
      router.route(input);
      router.learnFrom({ v: 1, ts: new Date(1_700_000_000_000 + id * 1000).toISOString(), taskId, event: 'task.submitted', input, agent: null, timeoutMs: 1 });
      router.learnFrom({ v: 1, ts: new Date(1_700_000_000_000 + id * 1000 + 500).toISOString(), taskId, event: 'task.attempt', attempt: 1, agent, instance: 0, status, error: null, durationMs: 1 });
    };
    let decision = router.route(input);
    for (let n = 0; n < 20 && decision.pick !== 'general_assistant'; n++) {
      feed(decision.pick, 'failed');
      decision = router.route(input);
    }
    expect(decision).toMatchObject({ pick: 'general_assistant', decision: 'fallback', explored: true });
    expect(decision.reason).toMatch(/^every plausible agent fails on tasks like this \(data_analyst \d+ % over [\d.]+ similar outcomes\), so the fallback general_assistant is tried as a last resort$/);
    feed('general_assistant', 'completed');
    feed('general_assistant', 'completed');
    const kept = router.route(input);
    expect(kept).toMatchObject({ pick: 'general_assistant', decision: 'exploit' });
    expect(kept.reason).toContain('has a record of success');
  });

  it('a configuration failure (no model endpoint or key) teaches nothing about the agent', () => {
    const router = new TaskRouter(() => ({ version: 0, profiles }), true);
    const input = 'Compute the median and a histogram of the sensor readings in data.csv';
    const before = router.recordOf(input, 'data_analyst');
    for (let id = 1; id <= 10; id++) {
      const taskId = `c${id}`;
      router.learnFrom({ v: 1, ts: new Date(1_700_000_000_000 + id * 1000).toISOString(), taskId, event: 'task.submitted', input, agent: null, timeoutMs: 1 });
      router.learnFrom({ v: 1, ts: new Date(1_700_000_000_000 + id * 1000 + 500).toISOString(), taskId, event: 'task.attempt', attempt: 1, agent: 'data_analyst', instance: 0, status: 'failed', error: 'no model endpoint configured', durationMs: 1, config: true });
    }
    expect(router.recordOf(input, 'data_analyst')).toEqual(before);
    expect(router.route(input).pick).toBe('data_analyst');
  });

  it('records what a replay needs: every candidate with its value, in decision order, and the decision kind', () => {
    const world = new World(5);
    const outcomes = Array.from({ length: 30 }, (_, n) => world.run(UNIT_TESTS(n), (agent) => (agent === 'qa_tester' ? 0.1 : 0.95), true));
    for (const { decision } of outcomes) {
      expect(decision.candidates.map((c) => c.agent).sort()).toEqual(profiles.map((p) => p.name).sort());
      expect(decision.candidates[0]!.agent).toBe(decision.pick);
      expect(decision.candidates.every((c) => typeof c.value === 'number')).toBe(true);
      expect(['exploit', 'explore', 'fallback']).toContain(decision.decision);
      expect(decision.probability).toBe(1);
      // Failover reaches the fallback agent, whatever its match (0 here).
      expect(decision.ranked.map((r) => r.agent)).toContain('general_assistant');
    }
    expect(world.router.route(UNIT_TESTS(1), 'devops_engineer')).toMatchObject({ pick: 'devops_engineer', decision: 'forced' });
  });
});
