import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LedgerEvent } from '../../src/protocol/events.js';
import type { TaskResult } from '../../src/protocol/task.js';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { apiStatus, teardown, upSingleAgent } from '../helpers/fleet.js';

const TOTAL = 1000;
const CONCURRENCY = 100;

describe('1,000 tasks, 100 at a time, with a worker SIGKILLed under load', () => {
  let model: OpenAiTestServer;
  let dir: string;
  let api: { api: string; token: string };

  beforeAll(async () => {
    model = await startOpenAiTestServer();
    const fleet = await upSingleAgent(model.url, { instances: 2 });
    dir = fleet.dir;
    api = fleet;
  });
  afterAll(async () => {
    await teardown(dir);
    await model.close();
  });

  it('completes every task exactly once; tasks of the killed worker finish elsewhere or once it is back', async () => {
    const submit = async (n: number): Promise<TaskResult> => {
      const response = await fetch(`${api.api}/v1/tasks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ input: `Translate sentence number ${n} into French`, wait: true }),
      });
      return (await response.json()) as TaskResult;
    };
    const results: TaskResult[] = [];
    let killed: number | null = null;
    let killedInstance: number | null = null;
    for (let batch = 0; batch < TOTAL / CONCURRENCY; batch += 1) {
      const pending = Array.from({ length: CONCURRENCY }, (_, i) => submit(batch * CONCURRENCY + i));
      if (batch === 3) {
        // Kill one instance while this batch is in flight on it.
        await new Promise((resolve) => setTimeout(resolve, 20));
        const victim = (await apiStatus(dir)).agents[0]!;
        killed = victim.pid;
        killedInstance = victim.instance;
        process.kill(victim.pid!, 'SIGKILL');
      }
      results.push(...(await Promise.all(pending)));
    }
    expect(killed).not.toBeNull();
    expect(results.filter((result) => result.status !== 'completed')).toEqual([]);
    expect(new Set(results.map((result) => result.id)).size).toBe(TOTAL);

    const events = readFileSync(path.join(dir, '.lightning/ledger.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as LedgerEvent);
    const count = (name: string) => events.filter((event) => event.event === name).length;
    expect(count('task.submitted')).toBe(TOTAL);
    expect(count('task.completed')).toBe(TOTAL);
    const completedIds = events.filter((event) => event.event === 'task.completed').map((event) => event.taskId);
    expect(new Set(completedIds).size).toBe(TOTAL);
    // Some tasks were on the killed instance: their failed attempt is recorded before the retry,
    // which runs on the other instance or, when that one is full, on the killed one restarted.
    const retried = results.filter((result) => result.attempts.length > 1);
    expect(retried.length).toBeGreaterThan(0);
    for (const task of retried) {
      expect(task.attempts[0]!.status).toBe('failed');
      expect(task.attempts[0]!.instance).toBe(killedInstance);
      expect(task.attempts.at(-1)!.status).toBe('completed');
    }
  }, 120_000);
});
