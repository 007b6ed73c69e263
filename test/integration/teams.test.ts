import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LedgerEvent } from '../../src/protocol/events.js';
import { COMBINE_PROMPT_TITLE, PLAN_PROMPT_TITLE } from '../../src/protocol/team-plan.js';
import type { TaskResult } from '../../src/protocol/task.js';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { cli, ledgerEvents, makeProject, repoFleetOnFreePorts, teardown, waitFor } from '../helpers/fleet.js';

/** Three agents (the generalist plans and combines), against the test model server's plans. */
describe('team tasks', () => {
  let model: OpenAiTestServer;
  let dir: string;
  let api: { api: string; token: string };
  const headers = () => ({ authorization: `Bearer ${api.token}`, 'content-type': 'application/json' });
  const ledger = (): LedgerEvent[] => ledgerEvents(dir);
  const getTask = async (id: string): Promise<TaskResult> => (await (await fetch(`${api.api}/v1/tasks/${id}`, { headers: headers() })).json()) as TaskResult;

  beforeAll(async () => {
    model = await startOpenAiTestServer();
    dir = makeProject(`version: 1
supervisor: { port: 0 }
defaults:
  provider: { baseURL: "${model.url}" }
planner: general_assistant
agents:
  general_assistant:
    port: 0
    description: writing and translation
    capabilities: [writing, translation]
    fallback: true
  frontend:
    port: 0
    description: web pages in HTML and React
    capabilities: [html, react]
  tester:
    port: 0
    description: tests and quality checks
    capabilities: [testing]
    tools: { shell: true, approval: [] }   # runs its commands unasked: this test is about cancel, not approval
`);
    const up = await cli(dir, ['up', '-d']);
    expect(up.exitCode).toBe(0);
    api = JSON.parse(readFileSync(path.join(dir, '.lightning/supervisor.json'), 'utf8')) as { api: string; token: string };
  });
  afterAll(async () => {
    await teardown(dir);
    await model.close();
  });

  it('plans three subtasks for three agents, runs them in dependency order in one workspace, and combines the answer', async () => {
    const task =
      'frontend: write a file named page.html containing <h1>Sign up</h1>; general_assistant: write a file named notes.txt containing launch notes; ' +
      'then tester: call tool read_file with {"path":"page.html"}';
    const run = await cli(dir, ['run', '--team', '--json', task]);
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout) as TaskResult;
    expect(result.status).toBe('completed');
    expect(result.team).toBe(true);
    const steps = result.steps ?? [];
    expect(steps.map((step) => step.role)).toEqual(['plan', 'subtask', 'subtask', 'subtask', 'combine']);
    const byId = new Map(steps.map((step) => [step.subtask, step]));
    expect(byId.get('s1')?.agent).toBe('frontend');
    expect(byId.get('s2')?.agent).toBe('general_assistant');
    expect(byId.get('s3')?.agent).toBe('tester');
    expect(byId.get('s3')?.dependsOn).toEqual(['s1', 's2']);
    for (const step of steps) expect(step.status).toBe('completed');

    // Shared workspace: tester read the file frontend wrote, in the team task's own workspace.
    const workspace = path.join(dir, '.lightning/workspaces', result.id);
    expect(readFileSync(path.join(workspace, 'page.html'), 'utf8')).toBe('<h1>Sign up</h1>');
    expect(existsSync(path.join(workspace, 'notes.txt'))).toBe(true);
    const tester = await getTask(byId.get('s3')!.id);
    expect(tester.output).toContain('read_file returned: <h1>Sign up</h1>');
    expect(result.files.sort()).toEqual(['notes.txt', 'page.html']);

    // Dependency order: s3 was routed only after s1 and s2 had completed.
    const events = ledger();
    const at = (taskId: string, name: string) => events.findIndex((event) => event.taskId === taskId && event.event === name);
    const s3Routed = at(byId.get('s3')!.id, 'task.routed');
    expect(s3Routed).toBeGreaterThan(at(byId.get('s1')!.id, 'task.completed'));
    expect(s3Routed).toBeGreaterThan(at(byId.get('s2')!.id, 'task.completed'));
    // The tree is in the ledger: each step names its team task.
    for (const step of steps) {
      const submitted = events.find((event) => event.taskId === step.id && event.event === 'task.submitted');
      expect(submitted && submitted.event === 'task.submitted' && submitted.parentId).toBe(result.id);
    }

    // The combine step wrote the answer from every subtask's result.
    expect(result.output).toContain(COMBINE_PROMPT_TITLE.split('\n')[0]!);
    expect(result.output).toContain('wrote page.html');
    expect(result.output).toContain('wrote notes.txt');
    expect(result.output).toContain('read_file returned: <h1>Sign up</h1>');
    expect(result.usage?.totalTokens).toBeGreaterThan(0);

    // `lightning task ID` shows the tree.
    const shown = await cli(dir, ['task', result.id.slice(0, 8)]);
    expect(shown.exitCode).toBe(0);
    expect(shown.stdout).toContain('team:');
    expect(shown.stdout).toMatch(/├─ plan\s+general_assistant/);
    expect(shown.stdout).toMatch(/├─ s3\s+tester\s+completed.*after s1, s2/);
    expect(shown.stdout).toMatch(/└─ combine\s+general_assistant/);
  });

  it('a subtask that fails fails the team task, naming the subtask and why', async () => {
    model.setBehavior({ type: 'fail-when', fail: ({ system, input }) => input.includes('impossible') && !system.startsWith(PLAN_PROMPT_TITLE) });
    try {
      const run = await cli(dir, ['run', '--team', '--json', 'frontend: write a file named a.html containing <p>a</p>; tester: do the impossible']);
      expect(run.exitCode).toBe(1);
      const result = JSON.parse(run.stdout) as TaskResult;
      expect(result.status).toBe('failed');
      expect(result.error).toMatch(/^subtask "s2" \(task [0-9a-f-]+, agent tester\) failed: /);
      expect(result.error).toContain('the model could not do this task');
      expect(result.steps?.some((step) => step.role === 'combine')).toBe(false);
    } finally {
      model.setBehavior({ type: 'echo' });
    }
  });

  it('cancelling a team task cancels the subtasks still running', async () => {
    const submitted = await fetch(`${api.api}/v1/tasks`, {
      method: 'POST', headers: headers(),
      body: JSON.stringify({ team: true, input: 'frontend: write a file named b.html containing <p>b</p>; then tester: call tool run_shell with {"command":"sleep 30"}' }),
    });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    const running = await waitFor('the tester subtask to run', async () => {
      const task = await getTask(id);
      return task.steps?.find((step) => step.subtask === 's2' && step.status === 'running') ?? null;
    }, 20_000);
    const cancel = await fetch(`${api.api}/v1/tasks/${id}/cancel`, { method: 'POST', headers: headers() });
    expect(cancel.status).toBe(202);
    const ended = await waitFor('the team to end', async () => {
      const task = await getTask(id);
      return task.status === 'cancelled' ? task : null;
    }, 10_000);
    expect((await getTask(running.id)).status).toBe('cancelled');
    expect(ended.steps?.find((step) => step.subtask === 's1')?.status).toBe('completed');
    expect(ended.steps?.some((step) => step.role === 'combine')).toBe(false);
  });

  it('over A2A a team task is one task, its subtasks\' results and files its artifacts', async () => {
    const response = await fetch(`${api.api}/a2a/jsonrpc/`, {
      method: 'POST', headers: headers(),
      body: JSON.stringify({
        jsonrpc: '2.0', id: 1, method: 'message/send',
        params: { message: { kind: 'message', messageId: 'm-team', role: 'user', metadata: { team: true }, parts: [{ kind: 'text', text: 'frontend: write a file named c.html containing <p>c</p>; then tester: call tool read_file with {"path":"c.html"}' }] } },
      }),
    });
    const body = (await response.json()) as { result?: { id: string; status: { state: string }; artifacts: Array<{ name: string; parts: Array<{ kind: string; text?: string }> }> } };
    expect(body.result?.status.state).toBe('completed');
    const names = body.result!.artifacts.map((artifact) => artifact.name);
    expect(names).toEqual(['output', 'subtask s1', 'subtask s2', 'c.html']);
    expect(body.result!.artifacts[2]!.parts[0]!.text).toContain('read_file returned: <p>c</p>');
    expect((await getTask(body.result!.id)).steps).toHaveLength(4);
  });

  it('a plan that fails validation is re-asked once with the problems, then the task fails showing the planner\'s output', async () => {
    model.setBehavior({ type: 'scripted', responses: [{ content: '{"subtasks": [{"id": "a", "input": "x", "agent": "nobody"}]}' }, { content: 'I would rather not plan' }] });
    try {
      const run = await cli(dir, ['run', '--team', '--json', 'frontend: build it; tester: test it']);
      expect(run.exitCode).toBe(1);
      const result = JSON.parse(run.stdout) as TaskResult;
      expect(result.status).toBe('failed');
      expect(result.error).toContain('gave no valid plan, asked twice: the answer is not JSON');
      expect(result.error).toContain('Its output was: I would rather not plan');
      expect(result.steps?.map((step) => step.role)).toEqual(['plan', 'plan']);
      // The re-ask told the planner what was wrong with its first plan.
      const reask = model.requests.at(-1)!.messages.find((message) => message.role === 'user')!.content as string;
      expect(reask).toContain('no agent "nobody"; the agents are general_assistant, frontend, tester');
    } finally {
      model.setBehavior({ type: 'echo' });
    }
  });

  it('rejects a team task sent to one agent', async () => {
    const run = await cli(dir, ['run', '--team', '--agent', 'tester', 'anything']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('--team or --agent');
    const response = await fetch(`${api.api}/v1/tasks`, { method: 'POST', headers: headers(), body: JSON.stringify({ team: 'yes', input: 'x' }) });
    expect(response.status).toBe(400);
  });
});

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Automatic teaming on the shipped agents.yaml (six agents, the generalist plans and combines). */
describe('automatic teaming', () => {
  let model: OpenAiTestServer;
  let dir: string;
  const supervisor = () => JSON.parse(readFileSync(path.join(dir, '.lightning/supervisor.json'), 'utf8')) as { api: string; token: string };
  // Semicolons make the test model server's plan one subtask per clause (see planReply).
  const SPANNING = 'Build a signup page; write Playwright tests for it; then write a Dockerfile to deploy it';

  beforeAll(async () => {
    model = await startOpenAiTestServer();
    dir = repoFleetOnFreePorts();
    const yaml = readFileSync(path.join(dir, 'agents.yaml'), 'utf8').replace('baseURL: null', `baseURL: "${model.url}"`);
    writeFileSync(path.join(dir, 'agents.yaml'), yaml);
    const up = await cli(dir, ['up', '-d']);
    expect(up.exitCode).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await teardown(dir);
    await model.close();
  });

  it('route explains why a web page + Playwright tests + Dockerfile task would run as a team', async () => {
    const route = await cli(dir, ['route', 'Build a signup page, write Playwright tests for it, and a Dockerfile to deploy it']);
    expect(route.exitCode).toBe(0);
    expect(route.stdout).toContain('team: yes — would run as a team (planned into subtasks) because it spans 3 specialists and none covers it all:');
    expect(route.stdout).toMatch(/"Build a signup page" → web_developer/);
    expect(route.stdout).toMatch(/"write Playwright tests for it" → qa_tester/);
    expect(route.stdout).toMatch(/"a Dockerfile to deploy it" → devops_engineer/);
    const single = await cli(dir, ['route', 'Write end-to-end tests for the checkout flow']);
    expect(single.stdout).toContain('team: no — would not run as a team because');
  });

  it('runs such a task as a team without --team, recording why; --no-team sends it to one agent', async () => {
    const run = await cli(dir, ['run', '--json', SPANNING]);
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout) as TaskResult;
    expect(result.team).toBe(true);
    expect(result.teamReason).toMatch(/^the task spans 3 specialists and none covers it all: "Build a signup page" → web_developer/);
    const agents = (result.steps ?? []).filter((step) => step.role === 'subtask').map((step) => step.agent);
    expect(agents).toEqual(['web_developer', 'qa_tester', 'devops_engineer']);
    const submitted = ledgerEvents(dir).find((event) => event.taskId === result.id && event.event === 'task.submitted');
    expect(submitted?.event === 'task.submitted' && submitted.team && submitted.teamReason).toBe(result.teamReason);
    const shown = await cli(dir, ['task', result.id.slice(0, 8)]);
    expect(shown.stdout).toContain('team:\n  run as a team by the router: the task spans 3 specialists');

    const alone = await cli(dir, ['run', '--no-team', '--json', SPANNING]);
    expect(alone.exitCode).toBe(0);
    const single = JSON.parse(alone.stdout) as TaskResult;
    expect(single.team).toBeUndefined();
    expect(single.routing?.candidates[0]?.agent).toBe(single.agent);
  });

  it('the dashboard shows the team task as a tree (steps with agent, state, tokens) and the spending per agent', async () => {
    if (!existsSync(CHROMIUM)) {
      console.warn(`dashboard tree check skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
      return;
    }
    const team = (await cli(dir, ['run', '--json', SPANNING]));
    const result = JSON.parse(team.stdout) as TaskResult;
    const steps = result.steps ?? [];
    expect(steps).toHaveLength(5);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    try {
      const page = await browser.newPage();
      await page.goto((await cli(dir, ['dashboard'])).stdout.trim());
      const parent = `#tasks tr[data-task="${result.id}"]`;
      await waitFor('the team task on the page', async () => (await page.locator(parent).count()) === 1, 15_000);
      expect(await page.textContent(`${parent} .team-tag`)).toBe('team');
      expect(await page.textContent(`${parent} td.tokens`)).toBe(String(result.usage!.totalTokens));
      // Its steps follow it, in order, each with its place in the tree, agent, state and tokens.
      const rows = page.locator(`${parent} ~ tr[data-parent="${result.id}"]`);
      expect(await rows.count()).toBe(steps.length);
      const firstCells = await rows.locator('td:nth-child(1)').allTextContents();
      expect(firstCells).toEqual(['├─ plan', '├─ s1', '├─ s2', '├─ s3', '└─ combine']);
      expect(await rows.locator('td:nth-child(3)').allTextContents()).toEqual(steps.map((step) => step.agent));
      expect(await rows.locator('td.state').allTextContents()).toEqual(steps.map(() => 'completed'));
      expect(await rows.locator('td.tokens').allTextContents()).toEqual(steps.map((step) => String(step.usage!.totalTokens)));
      // Spending: the planner's plan and combine calls count for it, each subtask for its agent.
      await waitFor('spending rows', async () => (await page.locator('#spend tr[data-spend="general_assistant"]').count()) === 1, 15_000);
      const planner = Number(await page.textContent('#spend tr[data-spend="general_assistant"] td.tokens'));
      expect(planner).toBeGreaterThanOrEqual(steps.filter((step) => step.role !== 'subtask').reduce((sum, step) => sum + step.usage!.totalTokens, 0));
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('stats shows where the tokens went: every step for its agent, the team task not twice', async () => {
    const stats = await cli(dir, ['stats', '--json']);
    const document = JSON.parse(stats.stdout) as { spend: Array<{ agent: string; tasks: number; tokens: number }> };
    const tasks = (await (await fetch(`${supervisor().api}/v1/tasks?limit=100`, { headers: { authorization: `Bearer ${supervisor().token}` } })).json()) as { tasks: TaskResult[] };
    const spentOutsideTeams = tasks.tasks.filter((task) => !task.team).reduce((sum, task) => sum + (task.usage?.totalTokens ?? 0), 0);
    expect(document.spend.reduce((sum, row) => sum + row.tokens, 0)).toBe(spentOutsideTeams);
    expect(document.spend.map((row) => row.agent)).toEqual(expect.arrayContaining(['general_assistant', 'web_developer', 'qa_tester', 'devops_engineer']));
    const text = await cli(dir, ['stats']);
    expect(text.stdout).toMatch(/SPENT BY\s+TASKS\s+TOKENS\s+COST/);
    expect(text.stdout).toMatch(new RegExp(`total\\s+\\d+\\s+${spentOutsideTeams}\\s`));
  });

  it('a single-capability task is routed to one agent as before', async () => {
    const run = await cli(dir, ['run', '--json', 'Add Playwright tests that cover the signup and login journeys in the browser']);
    const result = JSON.parse(run.stdout) as TaskResult;
    expect(result.team).toBeUndefined();
    expect(result.agent).toBe('qa_tester');
  });
});
