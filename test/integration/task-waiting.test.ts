import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LedgerEvent } from '../../src/protocol/events.js';
import type { InstanceStatus } from '../../src/protocol/status.js';
import type { TaskResult } from '../../src/protocol/task.js';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { apiStatus, teardown, upSingleAgent, waitFor } from '../helpers/fleet.js';

/**
 * No task fails because its agent is restarting: real processes, the default restart and task
 * policies, one instance. The model streams slowly enough that a task is in flight when its
 * worker is killed.
 */
describe('tasks ride out their agent restarting', () => {
  let model: OpenAiTestServer;
  let fleet: { dir: string; api: string; token: string };

  beforeAll(async () => {
    model = await startOpenAiTestServer({ behavior: { type: 'slow', tokens: 10, intervalMs: 50 } });
    fleet = await upSingleAgent(model.url);
  });
  afterAll(async () => {
    await teardown(fleet.dir);
    await model.close();
  });

  const headers = () => ({ authorization: `Bearer ${fleet.token}`, 'content-type': 'application/json' });
  const submit = async (input: string): Promise<string> => {
    const response = await fetch(`${fleet.api}/v1/tasks`, { method: 'POST', headers: headers(), body: JSON.stringify({ input }) });
    expect(response.status).toBe(202);
    return ((await response.json()) as { id: string }).id;
  };
  const task = async (id: string): Promise<TaskResult> => (await (await fetch(`${fleet.api}/v1/tasks/${id}`, { headers: headers() })).json()) as TaskResult;
  const finished = (id: string) => waitFor(`task ${id} to end`, async () => {
    const result = await task(id);
    return result.finishedAt ? result : null;
  }, 30_000, 20);
  const instance = async (): Promise<InstanceStatus> => (await apiStatus(fleet.dir)).agents[0]!;
  const ledger = (): LedgerEvent[] =>
    readFileSync(path.join(fleet.dir, '.lightning/ledger.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as LedgerEvent);

  it('a worker SIGKILLed mid-task: the task completes on the restarted instance, once', async () => {
    const before = await instance();
    const asked = model.requests.length;
    const id = await submit('Translate this sentence into French');
    // Mid-task: the worker has asked the model and is reading its slow answer.
    await waitFor('the model call', async () => model.requests.length > asked, 10_000, 5);
    process.kill(before.pid!, 'SIGKILL');
    const result = await finished(id);
    expect(result.status).toBe('completed');
    expect(result.attempts.map((attempt) => attempt.status)).toEqual(['failed', 'completed']);
    expect(result.attempts.every((attempt) => attempt.instance === 0)).toBe(true);
    const after = await instance();
    expect(after.pid).not.toBe(before.pid);
    const mine = ledger().filter((event) => event.taskId === id);
    expect(mine.filter((event) => ['task.completed', 'task.failed', 'task.cancelled'].includes(event.event))).toHaveLength(1);
    expect(mine.find((event) => event.event === 'task.attempt')).toMatchObject({ status: 'failed', transport: true });
  }, 60_000);

  it('a task whose agent\'s only instance is in backoff waits, shown as waiting, and completes once it is back', async () => {
    // Kill the worker each time it is back until the crash streak's backoff is long enough to see.
    let kills = 0;
    let held: InstanceStatus | null = null;
    while (!held && kills < 8) {
      const up = await waitFor('the instance healthy', async () => {
        const current = await instance();
        return current.state === 'healthy' ? current : null;
      }, 20_000, 10);
      process.kill(up.pid!, 'SIGKILL');
      kills += 1;
      const now = await waitFor('the kill noticed', async () => {
        const current = await instance();
        return current.pid !== up.pid ? current : null;
      }, 10_000, 5);
      if (now.state === 'backoff' && now.nextRestartAt && Date.parse(now.nextRestartAt) - Date.now() > 700) held = now;
    }
    expect(held).not.toBeNull();
    const id = await submit('Translate another sentence into French');
    const waiting = await waitFor('the task shown as waiting', async () => {
      const result = await task(id);
      return result.status === 'waiting' ? result : null;
    }, 5_000, 10);
    expect(waiting.waiting).toMatchObject({ agent: 'general_assistant', reason: 'restarting' });
    expect((await instance()).waiting).toBe(1);
    const result = await finished(id);
    expect(result.status).toBe('completed');
    expect(result.waiting).toBeNull();
    const events = ledger().filter((event) => event.taskId === id).map((event) => event.event);
    expect(events.slice(0, 3)).toEqual(['task.submitted', 'task.waiting', 'task.routed']);
  }, 90_000);
});
