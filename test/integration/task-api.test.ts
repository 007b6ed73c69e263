import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TaskResult } from '../../src/protocol/task.js';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { alive, apiStatus, cli, teardown, upSingleAgent, waitFor } from '../helpers/fleet.js';

describe('control API for tasks', () => {
  let model: OpenAiTestServer;
  let dir: string;
  let api: { api: string; token: string; pid: number };
  const post = (route: string, body: string, contentType = 'application/json') =>
    fetch(`${api.api}${route}`, { method: 'POST', headers: { authorization: `Bearer ${api.token}`, 'content-type': contentType }, body });
  const get = (route: string) => fetch(`${api.api}${route}`, { headers: { authorization: `Bearer ${api.token}` } });

  beforeAll(async () => {
    model = await startOpenAiTestServer();
    const fleet = await upSingleAgent(model.url);
    dir = fleet.dir;
    api = fleet;
  });
  afterAll(async () => {
    await teardown(dir);
    await model.close();
  });

  it.each([
    ['malformed JSON', '{"input": ', 400, 'malformed_json'],
    ['a missing input', '{"agent": "general_assistant"}', 400, 'missing_input'],
    ['an empty input', '{"input": "   "}', 400, 'missing_input'],
    ['an unknown agent', '{"input": "x", "agent": "nobody"}', 400, 'unknown_agent'],
    ['a bad timeout', '{"input": "x", "timeoutMs": -5}', 400, 'bad_timeout'],
    ['a body that is not an object', '[1, 2]', 400, 'bad_body'],
    ['a body over 1 MiB', JSON.stringify({ input: 'x'.repeat(1024 * 1024 + 10) }), 413, 'body_too_large'],
  ])('refuses %s with a 4xx and a JSON reason', async (_name, body, status, error) => {
    const response = await post('/v1/tasks', body);
    expect(response.status).toBe(status);
    const json = (await response.json()) as { error: string; message: string };
    expect(json.error).toBe(error);
    expect(json.message.length).toBeGreaterThan(10);
  });

  it('refuses a non-JSON content type, an unknown task id and a missing token', async () => {
    expect((await post('/v1/tasks', 'input=x', 'application/x-www-form-urlencoded')).status).toBe(415);
    const unknown = await get('/v1/tasks/nope');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toBe('unknown_task');
    expect((await post('/v1/tasks/nope/cancel', '')).status).toBe(404);
    expect((await fetch(`${api.api}/v1/tasks`)).status).toBe(401);
    expect((await get('/v1/tasks?status=bogus')).status).toBe(400);
    expect((await get('/v1/tasks?limit=0')).status).toBe(400);
  });

  it('wait:true answers with the result; GET /v1/tasks lists it; status counts it', async () => {
    const response = await post('/v1/tasks', JSON.stringify({ input: 'Say hello', wait: true }));
    expect(response.status).toBe(200);
    const task = (await response.json()) as TaskResult;
    expect(task).toMatchObject({ status: 'completed', agent: 'general_assistant' });
    const list = (await (await get('/v1/tasks?limit=5&status=completed')).json()) as { tasks: TaskResult[] };
    expect(list.tasks[0]!.id).toBe(task.id);
    expect((await apiStatus(dir)).agents[0]!.tasks.completed).toBeGreaterThanOrEqual(1);
  });

  it('GET /v1/events streams task progress and agent state changes', async () => {
    const controller = new AbortController();
    const response = await fetch(`${api.api}/v1/events`, { headers: { authorization: `Bearer ${api.token}` }, signal: controller.signal });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    let text = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    })();
    await post('/v1/tasks', JSON.stringify({ input: 'Say hello again', wait: true }));
    await waitFor('events', async () => text.includes('event: task.completed'), 5000);
    expect(text).toContain('event: task.submitted');
    expect(text).toContain('event: task.routed');
    // An agent state change: kill the worker and watch it come back.
    const victim = (await apiStatus(dir)).agents[0]!;
    process.kill(victim.pid!, 'SIGKILL');
    await waitFor('agent events', async () => /event: agent\.state\ndata: \{[^\n]*"state":"healthy"/.test(text.slice(text.indexOf('"state":"backoff"'))), 5000);
    controller.abort();
    await reading;
  });

  it('a task running when the supervisor is SIGKILLed is marked interrupted at the next start', async () => {
    model.setBehavior({ type: 'slow', tokens: 600, intervalMs: 100 });
    const submitted = (await (await post('/v1/tasks', JSON.stringify({ input: 'a long one' }))).json()) as { id: string };
    await waitFor('running', async () => ((await (await get(`/v1/tasks/${submitted.id}`)).json()) as TaskResult).status === 'running');
    process.kill(api.pid, 'SIGKILL');
    await waitFor('supervisor gone', async () => !alive(api.pid), 5000);
    model.setBehavior({ type: 'echo' });
    expect((await cli(dir, ['up', '-d'])).exitCode).toBe(0);
    // Marked before `up -d` returned (and before the API took a request): already on disk.
    const ledger = readFileSync(path.join(dir, '.lightning/ledger.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { event: string; taskId: string });
    expect(ledger.filter((event) => event.taskId === submitted.id && event.event === 'task.interrupted')).toHaveLength(1);
    const task = JSON.parse((await cli(dir, ['task', '--json', submitted.id])).stdout) as TaskResult;
    expect(task.status).toBe('interrupted');
    api = JSON.parse(readFileSync(path.join(dir, '.lightning/supervisor.json'), 'utf8')) as typeof api;
  });
});
