import { describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import type { LedgerEvent } from '../../src/protocol/events.js';
import { profileFromConfig } from '../../src/router/match.js';
import { replayLedger, wilson } from '../../src/router/replay.js';
import { TaskRouter } from '../../src/router/router.js';

const config = loadConfig(fileURLToPath(new URL('../../agents.yaml', import.meta.url)));
const profiles = config.agents.map(profileFromConfig);

/**
 * A ledger as the static matcher would have written it: qa_tester gets every "unit tests" task and
 * fails all of them; failover to web_developer completes them. Plus plot tasks that all succeed.
 */
function staticLedger(tasks: number): LedgerEvent[] {
  const events: LedgerEvent[] = [];
  const router = new TaskRouter(() => ({ version: 0, profiles }), false);
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const ts = (): string => new Date((clock += 1000)).toISOString();
  for (let n = 0; n < tasks; n++) {
    const taskId = `task-${n}`;
    const input = n % 2 === 0 ? `Write unit tests for the ${['cart', 'checkout', 'search'][n % 3]} component` : `Plot monthly revenue from sales_${n}.csv`;
    const decision = router.route(input);
    events.push({ v: 1, ts: ts(), taskId, event: 'task.submitted', input, agent: null, timeoutMs: 1000 });
    const first = decision.pick;
    events.push({ v: 1, ts: ts(), taskId, event: 'task.routed', attempt: 1, agent: first, instance: 0, candidates: decision.candidates, reason: decision.reason, static: decision.static, explored: false, decision: decision.decision, probability: 1 });
    if (first === 'qa_tester') {
      events.push({ v: 1, ts: ts(), taskId, event: 'task.attempt', attempt: 1, agent: first, instance: 0, status: 'failed', error: 'no', durationMs: 1 });
      events.push({ v: 1, ts: ts(), taskId, event: 'task.attempt', attempt: 2, agent: 'web_developer', instance: 0, status: 'completed', error: null, durationMs: 1 });
    } else {
      events.push({ v: 1, ts: ts(), taskId, event: 'task.attempt', attempt: 1, agent: first, instance: 0, status: 'completed', error: null, durationMs: 1 });
    }
  }
  return events;
}

describe('replayLedger', () => {
  it('shows what the current policy would have chosen, how often it differs, and estimates both with an interval', () => {
    const report = replayLedger(staticLedger(120), profiles, { policies: ['current', 'static'], learn: true, since: null });
    expect(report.decisions).toBe(120);
    const [logged, current, statik] = report.policies;
    // The logged policy was static: it agrees with itself everywhere, and half its picks failed.
    expect(logged).toMatchObject({ policy: 'logged', differs: 0, evaluated: 120, success: 0.5 });
    expect(statik).toMatchObject({ policy: 'static', differs: 0, success: 0.5 });
    // The learned policy moves the unit-test kind to web_developer after a few failures...
    expect(current!.policy).toBe('current');
    expect(current!.differs).toBeGreaterThan(45);
    expect(current!.differs).toBeLessThan(60);
    // ...and since web_developer was tried by failover on each of them, the estimate covers them all.
    expect(current!.evaluated).toBe(120);
    expect(current!.success!).toBeGreaterThan(0.9);
    expect(current!.low!).toBeGreaterThan(statik!.high!);
    expect(report.differing.length).toBeGreaterThan(0);
    expect(report.differing.at(-1)).toMatchObject({ logged: 'qa_tester', choices: { current: 'web_developer', static: 'qa_tester' } });
  });

  it('evaluates only tasks since the given time, leaves forced tasks out, and lets feedback override a status', () => {
    const events = staticLedger(40);
    const cut = Date.parse(events.find((e) => e.taskId === 'task-20')!.ts);
    expect(replayLedger(events, profiles, { policies: ['static'], learn: true, since: cut }).decisions).toBe(20);
    const forced = events.map((e) => (e.event === 'task.submitted' && e.taskId === 'task-1' ? { ...e, agent: 'data_analyst' } : e));
    expect(replayLedger(forced, profiles, { policies: ['static'], learn: true, since: null }).decisions).toBe(39);
    const rated: LedgerEvent[] = [...events, { v: 1, ts: '2026-02-01T00:00:00.000Z', taskId: 'task-1', event: 'feedback', rating: 'bad', note: null }];
    const before = replayLedger(events, profiles, { policies: ['static'], learn: true, since: null }).policies[0]!.success!;
    const after = replayLedger(rated, profiles, { policies: ['static'], learn: true, since: null }).policies[0]!.success!;
    expect(after).toBeCloseTo(before - 1 / 40, 10);
  });

  it('weights a logged choice by 1/p when the log carries a probability (self-normalised IPS)', () => {
    const events = staticLedger(4).map((e) => (e.event === 'task.routed' && e.taskId === 'task-0' ? { ...e, probability: 0.25 } : e));
    // task-0 (failed) weighs 4, task-1 (completed), task-2 (failed) and task-3 (completed) 1 each: 2 / 7.
    const logged = replayLedger(events, profiles, { policies: ['static'], learn: true, since: null }).policies[0]!;
    expect(logged.success).toBeCloseTo(2 / 7, 10);
  });

  it('wilson gives a sensible interval', () => {
    const [low, high] = wilson(0.5, 100);
    expect(low).toBeCloseTo(0.404, 2);
    expect(high).toBeCloseTo(0.596, 2);
    expect(wilson(1, 10)[1]).toBe(1);
    expect(wilson(0.5, 0)).toEqual([0, 1]);
  });
});
