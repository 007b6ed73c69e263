import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TaskResult } from '../../src/protocol/task.js';
import type { RouteDecision } from '../../src/router/router.js';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { ROOT, cli, makeProject, teardown } from '../helpers/fleet.js';

const TASK = 'Write jest tests for the navbar React component';

describe('the router learns from feedback given through the CLI, and remembers across down/up', () => {
  let model: OpenAiTestServer;
  let dir: string;
  let tasksRun = 0;

  beforeAll(async () => {
    model = await startOpenAiTestServer();
    const yaml = readFileSync(path.join(ROOT, 'agents.yaml'), 'utf8').replace(/port: \d+/g, 'port: 0').replace('baseURL: null', `baseURL: "${model.url}"`);
    dir = makeProject(yaml);
    expect((await cli(dir, ['up', '-d'])).exitCode).toBe(0);
  });
  afterAll(async () => {
    await teardown(dir);
    await model.close();
  });

  const route = async (): Promise<RouteDecision> => JSON.parse((await cli(dir, ['route', '--json', TASK])).stdout) as RouteDecision;

  it('explains the static choice before any outcome', async () => {
    const decision = await route();
    expect(decision.pick).toBe(decision.static);
    expect(decision.candidates.find((candidate) => candidate.agent === decision.pick)?.evidence).toBe(0);
    const text = (await cli(dir, ['route', TASK])).stdout;
    expect(text).toContain(`pick: ${decision.pick}`);
    expect(text).toContain('MATCH');
    expect(text).toContain('static capability matching agrees');
  });

  it('bad feedback on the static pick moves similar tasks to another plausible agent', async () => {
    const before = await route();
    // Each bad verdict weighs more than one outcome; a few at most move the choice.
    let ran = 0;
    while ((await route()).pick === before.pick && ran < 8) {
      const task = JSON.parse((await cli(dir, ['run', '--json', TASK.replace('navbar', `navbar ${ran}`)])).stdout) as TaskResult;
      ran += 1;
      expect(task.agent).toBe(before.pick);
      expect(task.routing?.reason).toBeTruthy();
      const feedback = await cli(dir, ['feedback', task.id, 'bad', '--note', 'the tests do not run']);
      expect(feedback.exitCode).toBe(0);
      expect(feedback.stdout).toContain('recorded');
    }
    expect(ran).toBeGreaterThanOrEqual(1);
    const after = await route();
    expect(after.pick).not.toBe(before.pick);
    expect(after.static).toBe(before.static);
    expect((await cli(dir, ['route', TASK])).stdout).toContain(`static capability matching alone would pick ${before.static}`);
    const next = JSON.parse((await cli(dir, ['run', '--json', TASK])).stdout) as TaskResult;
    expect(next.agent).toBe(after.pick);
    tasksRun = ran + 1;
    const detail = (await cli(dir, ['task', next.id])).stdout;
    expect(detail).toContain('routing:');
    expect(detail).toContain(`static matching alone would have picked ${before.static}`);
  });

  it('remembers after down and up (the policy is rebuilt from the ledger)', async () => {
    const learned = (await route()).pick;
    expect((await cli(dir, ['down'])).exitCode).toBe(0);
    // Without a supervisor, route works from agents.yaml and the ledger too.
    expect(((await route()) as RouteDecision).pick).toBe(learned);
    expect((await cli(dir, ['up', '-d'])).exitCode).toBe(0);
    expect((await route()).pick).toBe(learned);
  });

  it('stats shows tasks per agent and kind; bad feedback input is refused clearly', async () => {
    const stats = JSON.parse((await cli(dir, ['stats', '--json'])).stdout) as { rows: Array<{ agent: string; tasks: number; share: number }> };
    expect(stats.rows.reduce((sum, row) => sum + row.tasks, 0)).toBe(tasksRun);
    expect((await cli(dir, ['stats'])).stdout).toContain('SHARE');
    const badRating = await cli(dir, ['feedback', 'whatever', 'meh']);
    expect(badRating.exitCode).toBe(2);
    expect(badRating.stderr).toContain('"good" or "bad"');
    const unknown = await cli(dir, ['feedback', 'no-such-task', 'good']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain('no task with id no-such-task');
  });
});
