import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import type { TaskResult } from '../../src/protocol/task.js';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { BIN, cli, teardown, upSingleAgent, userEnv, waitFor } from '../helpers/fleet.js';

describe('cancellation stops the model call', () => {
  let model: OpenAiTestServer;
  let dir: string;
  let api: { api: string; token: string };
  const headers = () => ({ authorization: `Bearer ${api.token}`, 'content-type': 'application/json' });

  beforeAll(async () => {
    // A model that streams a token every 100 ms for a minute: only cancellation ends it early.
    model = await startOpenAiTestServer({ behavior: { type: 'slow', tokens: 600, intervalMs: 100 } });
    const fleet = await upSingleAgent(model.url);
    dir = fleet.dir;
    api = fleet;
  });
  afterAll(async () => {
    await teardown(dir);
    await model.close();
  });

  it('Ctrl-C in `lightning run` cancels the task (exit 130) and the model request is aborted', async () => {
    const before = model.requests.length;
    const run = execa(process.execPath, [BIN, 'run', '--json', 'write a long essay'], { cwd: dir, env: userEnv(), extendEnv: false, reject: false });
    await waitFor('the model call to start', async () => model.requests.length > before, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    run.kill('SIGINT');
    const result = await run;
    expect(result.exitCode).toBe(130);
    const task = JSON.parse(String(result.stdout)) as TaskResult;
    expect(task.status).toBe('cancelled');
    await waitFor('the model server to see the disconnect', async () => model.requests[before]!.disconnected, 5000);
  });

  it('POST /v1/tasks/:id/cancel cancels a running task; a second cancel is a 409', async () => {
    const before = model.requests.length;
    const submitted = await fetch(`${api.api}/v1/tasks`, { method: 'POST', headers: headers(), body: JSON.stringify({ input: 'write another long essay' }) });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    await waitFor('the model call to start', async () => model.requests.length > before, 10_000);
    const cancel = await fetch(`${api.api}/v1/tasks/${id}/cancel`, { method: 'POST', headers: headers() });
    expect(cancel.status).toBe(202);
    const task = await waitFor('cancelled', async () => {
      const body = (await (await fetch(`${api.api}/v1/tasks/${id}`, { headers: headers() })).json()) as TaskResult;
      return body.status === 'cancelled' ? body : null;
    });
    expect(task.attempts.at(-1)?.status).toBe('cancelled');
    await waitFor('the model server to see the disconnect', async () => model.requests[before]!.disconnected, 5000);
    const again = await fetch(`${api.api}/v1/tasks/${id}/cancel`, { method: 'POST', headers: headers() });
    expect(again.status).toBe(409);
    // By a prefix of its id, as people type it: resolved to this task, which has ended.
    const viaCli = await cli(dir, ['cancel', id.slice(0, 8)]);
    expect(viaCli.exitCode).toBe(1);
    expect(viaCli.stderr).toContain('already ended');
  });

  it('a task timeout ends the task as timeout', async () => {
    const result = await cli(dir, ['run', '--json', '--timeout', '500ms', 'and one more essay']);
    expect(result.exitCode).toBe(1);
    const task = JSON.parse(result.stdout) as TaskResult;
    expect(task.status).toBe('timeout');
    expect(task.error).toMatch(/timed out after 500 ms/);
  });
});
