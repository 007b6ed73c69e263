import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TaskResult } from '../../src/protocol/task.js';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { ROOT, cli, makeProject, teardown } from '../helpers/fleet.js';

/** The six agents of the repository, on free ports, with the project's own test model endpoint. */
function fleetWithEndpoint(baseURL: string | null): string {
  const yaml = readFileSync(path.join(ROOT, 'agents.yaml'), 'utf8')
    .replace(/port: \d+/g, 'port: 0')
    .replace(/baseURL: null/, baseURL ? `baseURL: "${baseURL}"` : 'baseURL: null');
  return makeProject(yaml);
}

describe('tasks really run', () => {
  let model: OpenAiTestServer;
  let dir: string;

  beforeAll(async () => {
    model = await startOpenAiTestServer();
    dir = fleetWithEndpoint(model.url);
    expect((await cli(dir, ['up', '-d'])).exitCode).toBe(0);
  });
  afterAll(async () => {
    await teardown(dir);
    await model.close();
  });

  it.each([
    ['Plot monthly revenue from sales.csv and describe the trend', 'data_analyst'],
    ['Review this JWT authentication middleware for vulnerabilities', 'security_expert'],
    ['Set up a CI pipeline that deploys to staging on every merge', 'devops_engineer'],
    ['Write end-to-end tests for the checkout flow', 'qa_tester'],
    ['Build a responsive landing page in React', 'web_developer'],
    ['Translate this paragraph into French', 'general_assistant'],
  ])('routes and completes "%s" on %s', async (input, agent) => {
    const result = await cli(dir, ['run', '--json', input]);
    expect(result.exitCode).toBe(0);
    const task = JSON.parse(result.stdout) as TaskResult;
    expect(task).toMatchObject({ status: 'completed', agent, instance: 0, error: null });
    // The answer came from the model endpoint, through the agent's own system prompt.
    expect(task.output).toContain(input);
    expect(task.usage?.totalTokens).toBeGreaterThan(0);
    expect(task.attempts).toEqual([expect.objectContaining({ agent, status: 'completed' })]);
  });

  it('writes a file through the tool loop and prints its path', async () => {
    const result = await cli(dir, ['run', 'Please write a file named report.md containing The quarterly numbers look fine.']);
    expect(result.exitCode).toBe(0);
    const written = /^\s+(\/\S+report\.md)$/m.exec(result.stdout);
    expect(written).not.toBeNull();
    expect(readFileSync(written![1]!, 'utf8')).toBe('The quarterly numbers look fine.');
    expect(written![1]).toContain(path.join(dir, '.lightning', 'workspaces'));
  });

  it('records every task in the ledger, and tasks / task show them', async () => {
    const list = await cli(dir, ['tasks', '--json', '-n', '50']);
    const { tasks } = JSON.parse(list.stdout) as { tasks: TaskResult[] };
    expect(tasks.length).toBeGreaterThanOrEqual(7);
    expect(tasks.every((task) => task.status === 'completed')).toBe(true);
    const detail = await cli(dir, ['task', tasks[0]!.id]);
    expect(detail.stdout).toContain('attempts:');
    expect(detail.stdout).toContain(tasks[0]!.id);
    const ledger = readFileSync(path.join(dir, '.lightning/ledger.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { event: string });
    for (const name of ['task.submitted', 'task.routed', 'task.attempt', 'task.completed']) expect(ledger.some((event) => event.event === name)).toBe(true);
  });

  it('--agent forces an agent; an unknown one is a usage error naming the known agents', async () => {
    const forced = JSON.parse((await cli(dir, ['run', '--json', '--agent', 'qa_tester', 'Translate this into French'])).stdout) as TaskResult;
    expect(forced.agent).toBe('qa_tester');
    const unknown = await cli(dir, ['run', '--agent', 'nobody', 'anything']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('unknown agent "nobody"');
    expect(unknown.stderr).toContain('general_assistant');
  });

  it('--detach prints the id at once; the task completes in the background', async () => {
    const detached = await cli(dir, ['run', '--detach', 'Summarize this article in three bullet points']);
    expect(detached.exitCode).toBe(0);
    const id = detached.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    for (let i = 0; i < 50; i += 1) {
      const task = JSON.parse((await cli(dir, ['task', '--json', id])).stdout) as TaskResult;
      if (task.status === 'completed') return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('detached task did not complete');
  });
});

describe('without a model endpoint', () => {
  it('fails with the configuration advice, exit 1, and the ledger records why', async () => {
    const dir = fleetWithEndpoint(null);
    try {
      const result = await cli(dir, ['run', '--json', 'Translate this paragraph into French'], { env: { OPENAI_API_KEY: '', OPENAI_BASE_URL: '' } });
      expect(result.stderr).toContain('starting one');
      expect(result.exitCode).toBe(1);
      const task = JSON.parse(result.stdout) as TaskResult;
      expect(task.status).toBe('failed');
      expect(task.error).toContain('no model endpoint configured');
      expect(task.error).toContain('OPENAI_BASE_URL');
      expect(task.error).toContain('http://localhost:11434/v1');
      const ledger = readFileSync(path.join(dir, '.lightning/ledger.jsonl'), 'utf8');
      expect(ledger).toContain('"event":"task.failed"');
      expect(ledger).toContain('no model endpoint configured');
      expect(existsSync(path.join(dir, '.lightning/supervisor.json'))).toBe(true);
    } finally {
      await teardown(dir);
    }
  });
});
