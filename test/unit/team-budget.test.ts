import { describe, expect, it } from '@jest/globals';
import type { TaskView } from '../../src/ledger/reader.js';
import type { TaskBudget } from '../../src/protocol/task.js';
import { TeamRun } from '../../src/tasks/team-run.js';
import type { TeamContext, TeamStepHandle, TeamStepRequest } from '../../src/tasks/team-run.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** A step's view as the ledger would derive it, with what the step spent. */
function view(id: string, output: string, tokens: number): TaskView {
  return {
    id, status: 'completed', input: '', requestedAgent: null, agent: 'worker', instance: 0, output, outputFile: null, error: null,
    attempts: [], routed: [], usage: { promptTokens: tokens, completionTokens: 0, totalTokens: tokens }, cost: null, files: [],
    submittedAt: '', finishedAt: '', durationMs: 1, feedback: [], waiting: null, approval: null, approvals: [], failure: null,
    team: false, teamReason: null, parentId: 'team', role: null, subtask: null, children: [], plan: null,
  } as TaskView;
}

/**
 * A team whose plan has `a` and `b` independent and `c` after `a`; every step spends `spend`
 * tokens. Steps end only when the test says, so which steps run at once is the test's to choose.
 */
function team(budget: TaskBudget, spend: number) {
  const clock = new FakeClock();
  const given: Array<{ step: string; budget: TaskBudget | null }> = [];
  const open = new Map<string, (view: TaskView) => void>();
  const plan = JSON.stringify({ subtasks: [{ id: 'a', input: 'A', agent: 'worker' }, { id: 'b', input: 'B', agent: 'worker' }, { id: 'c', input: 'C', agent: 'worker', dependsOn: ['a'] }] });
  const context: TeamContext = {
    clock,
    record: async () => undefined,
    planner: () => 'worker',
    agents: () => [{ name: 'worker', description: 'does anything', capabilities: [] }],
    submitStep(_parent: string, step: TeamStepRequest): TeamStepHandle {
      const name = step.role === 'subtask' ? step.subtask! : step.role;
      given.push({ step: name, budget: step.budget });
      return { id: name, cancel: () => undefined, done: new Promise((resolve) => open.set(name, resolve)) };
    },
  };
  const run = new TeamRun('team', 'do A, B and C', 60_000, budget, context);
  const finish = async (name: string, output = 'done') => {
    await Promise.resolve();
    open.get(name)!(view(name, output, spend));
    for (let i = 0; i < 10; i += 1) await Promise.resolve();
  };
  return { run, given, finish, plan };
}

describe('a team budget holds across subtasks running at once', () => {
  it('subtasks that start together share what is left; a later one gets what they did not spend', async () => {
    const { run, given, finish, plan } = team({ tokens: 1000, cost: null, timeMs: null }, 100);
    await finish('plan', plan);
    // 1,000 − the plan's 100 = 900, shared by a and b as they start together.
    expect(given.filter((g) => g.step !== 'plan').map((g) => [g.step, g.budget?.tokens])).toEqual([['a', 450], ['b', 450]]);
    await finish('a');
    // c starts while b still holds its 450: 1,000 − 200 spent − 450 held.
    expect(given.find((g) => g.step === 'c')?.budget?.tokens).toBe(350);
    await finish('b');
    await finish('c');
    // The combine step gets the rest: 1,000 − 4 × 100.
    expect(given.find((g) => g.step === 'combine')?.budget?.tokens).toBe(600);
    await finish('combine');
    await run.done;
    expect(run.state.name).toBe('completed');
  });

  it('no step starts once spending and what running steps hold leave nothing', async () => {
    const { run, given, finish, plan } = team({ tokens: 300, cost: null, timeMs: null }, 100);
    await finish('plan', plan);
    expect(given.filter((g) => g.step !== 'plan').map((g) => [g.step, g.budget?.tokens])).toEqual([['a', 100], ['b', 100]]);
    // a spent its 100 and b holds 100: nothing is left for c, so the team ends on its budget.
    await finish('a');
    expect(given.some((g) => g.step === 'c')).toBe(false);
    await finish('b');
    await run.done;
    const state = run.state;
    expect(state.name).toBe('failed');
    if (state.name === 'failed') {
      expect(state.reason).toBe('budget');
      expect(state.error).toMatch(/budget exhausted before the subtask c: spent 200 tokens in \d+ ms of a 300-token budget, and steps still running hold 100 tokens of it/);
    }
  });
});
