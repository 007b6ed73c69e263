import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LedgerEvent } from '../../src/protocol/events.js';
import type { TaskResult } from '../../src/protocol/task.js';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { cli, ledgerEvents, makeProject, teardown } from '../helpers/fleet.js';

/** Budgets held before every model call, priced from agents.yaml, across a team's subtasks. */
describe('task budgets', () => {
  let model: OpenAiTestServer;
  let dir: string;
  const ledger = (): LedgerEvent[] => ledgerEvents(dir);

  beforeAll(async () => {
    model = await startOpenAiTestServer();
    dir = makeProject(`version: 1
supervisor: { port: 0 }
defaults:
  provider: { baseURL: "${model.url}" }
  model: priced-model
prices:
  priced-model: { input: 2, output: 8 }
agents:
  general_assistant:
    port: 0
    description: writing and translation
    capabilities: [writing, translation]
    fallback: true
  tester:
    port: 0
    description: tests and quality checks
    capabilities: [testing]
    task: { budget: { tokens: 2000 } }
`);
    expect((await cli(dir, ['up', '-d'])).exitCode).toBe(0);
  });
  afterAll(async () => {
    await teardown(dir);
    await model.close();
  });

  it('a task whose tool loop runs past its token budget fails with reason budget and what it spent', async () => {
    // A model that never stops calling tools: only the budget (or the step limit) ends it.
    model.setBehavior({ type: 'scripted', responses: [{ toolCalls: [{ name: 'list_files', arguments: {} }] }], repeatLast: true });
    const before = model.requests.length;
    try {
      const run = await cli(dir, ['run', '--json', '--agent', 'tester', 'check everything']);
      expect(run.exitCode).toBe(1);
      const result = JSON.parse(run.stdout) as TaskResult;
      expect(result.status).toBe('failed');
      expect(result.failure).toBe('budget');
      expect(result.error).toMatch(/^budget exhausted before model call (\d+): spent (\d+) tokens \(\$[0-9.]+\) in \d+ ms of a 2000-token budget$/);
      const [, call, spent] = /model call (\d+): spent (\d+)/.exec(result.error!)!;
      // Stopped mid loop: more than one call made, fewer than the step limit (12), none after the budget.
      const calls = model.requests.length - before;
      expect(calls).toBeGreaterThan(1);
      expect(calls).toBeLessThan(12);
      expect(Number(call)).toBe(calls + 1);
      expect(Number(spent)).toBeGreaterThanOrEqual(2000);
      expect(result.usage?.totalTokens).toBe(Number(spent));
      // Priced: $2 per million in, $8 per million out.
      const usage = result.usage!;
      expect(result.cost).toBeCloseTo((usage.promptTokens * 2 + usage.completionTokens * 8) / 1e6, 10);
      const failed = ledger().find((event) => event.taskId === result.id && event.event === 'task.failed');
      expect(failed).toMatchObject({ reason: 'budget', usage: { totalTokens: Number(spent) } });
      const shown = await cli(dir, ['task', result.id]);
      expect(shown.stdout).toMatch(/usage .* = \d+ tokens · \$0\.\d{4}/);
    } finally {
      model.setBehavior({ type: 'echo' });
    }
  });

  it('run --budget replaces the agent\'s budget; a bad one is refused with the fix', async () => {
    const run = await cli(dir, ['run', '--json', '--agent', 'general_assistant', '--budget', '$0.000001', 'Say hello']);
    const result = JSON.parse(run.stdout) as TaskResult;
    // One call is allowed (nothing spent before it); the answer needs no second.
    expect(result.status).toBe('completed');
    expect(result.cost).toBeGreaterThan(0.000001);
    const bad = await cli(dir, ['run', '--budget', 'lots', 'x']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--budget: "lots" is not a budget');
    // Starting with a number does not make it a time: the fix lists every kind of budget.
    const unit = await cli(dir, ['run', '--budget', '5bananas', 'x']);
    expect(unit.exitCode).toBe(2);
    expect(unit.stderr).toContain('--budget: "5bananas" is not a budget\n  fix: tokens (50k-tokens)');
  });

  it('a team task\'s subtasks get what the team has left: once spent, the next step is not started', async () => {
    const run = await cli(dir, ['run', '--team', '--json', '--budget', '1-tokens', 'tester: write a file named t.txt containing t']);
    expect(run.exitCode).toBe(1);
    const result = JSON.parse(run.stdout) as TaskResult;
    expect(result.failure).toBe('budget');
    expect(result.error).toMatch(/^budget exhausted before the subtask s1: spent \d+ tokens \(\$[0-9.]+\) in \d+ ms of a 1-token budget$/);
    expect(result.steps?.map((step) => step.role)).toEqual(['plan']);
    expect(result.usage?.totalTokens).toBe(result.steps![0]!.usage!.totalTokens);
  });

  it('the metrics count tokens and cost per agent, a team task only in its steps', async () => {
    const info = JSON.parse(readFileSync(path.join(dir, '.lightning/supervisor.json'), 'utf8')) as { api: string };
    const text = await (await fetch(`${info.api}/metrics`)).text();
    const tokens = Number(/^lightning_task_tokens_total\{agent="tester"\} (\d+)$/m.exec(text)?.[1]);
    expect(tokens).toBeGreaterThanOrEqual(2000);
    expect(Number(/^lightning_task_cost_usd_total\{agent="tester"\} ([0-9.e-]+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
    // The team task's plan step ran on general_assistant; its total was not counted again.
    const spentByTasks = ledger()
      .filter((event) => (event.event === 'task.completed' || event.event === 'task.failed') && event.usage)
      .filter((event) => !ledger().some((submitted) => submitted.taskId === event.taskId && submitted.event === 'task.submitted' && submitted.team));
    const total = spentByTasks.reduce((sum, event) => sum + ((event as { usage: { totalTokens: number } }).usage.totalTokens), 0);
    const counted = [...text.matchAll(/^lightning_task_tokens_total\{agent="[^"]+"\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
    expect(counted).toBe(total);
  });
});
