import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TaskProgress, TaskResult } from '../../src/protocol/task.js';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { cli, generalistYaml, makeProject, status, teardown, waitFor } from '../helpers/fleet.js';

/**
 * A fleet whose agent has two providers, each a real test model server: the primary answers 500,
 * tasks complete on the secondary, every switch is a progress event and a metric, `status` shows
 * the primary cooling, and once it answers again (and its cooldown is over) it is used again.
 */
describe('providers that fail over (a fleet with two model servers)', () => {
  let primary: OpenAiTestServer;
  let secondary: OpenAiTestServer;
  let dir: string;
  let info: { api: string; token: string };
  const failovers: TaskProgress[] = [];
  const events = new AbortController();
  const headers = () => ({ authorization: `Bearer ${info.token}`, 'content-type': 'application/json' });

  beforeAll(async () => {
    [primary, secondary] = await Promise.all([
      startOpenAiTestServer({ behavior: { type: 'status', status: 500, message: 'primary is down' } }),
      startOpenAiTestServer(),
    ]);
    dir = makeProject(generalistYaml({ defaults: `  model: primary-model
  provider:
    - { baseURL: "${primary.url}" }
    - { baseURL: "${secondary.url}", model: backup-model }
` }));
    const up = await cli(dir, ['up', '-d']);
    if (up.exitCode !== 0) throw new Error(`up -d failed: ${up.stderr}`);
    info = JSON.parse(readFileSync(path.join(dir, '.lightning/supervisor.json'), 'utf8')) as { api: string; token: string };
    void (async () => {
      const response = await fetch(`${info.api}/v1/events`, { headers: headers(), signal: events.signal });
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!block.startsWith('event: task.progress\n')) continue;
          const data = JSON.parse(block.slice(block.indexOf('data: ') + 6)) as { progress: TaskProgress };
          if (data.progress.kind === 'failover') failovers.push(data.progress);
        }
      }
    })().catch(() => undefined);
  }, 60_000);

  afterAll(async () => {
    events.abort();
    await teardown(dir);
    await Promise.all([primary.close(), secondary.close()]);
  });

  async function runTask(input: string): Promise<TaskResult> {
    const response = await fetch(`${info.api}/v1/tasks`, { method: 'POST', headers: headers(), body: JSON.stringify({ input, wait: true }) });
    return (await response.json()) as TaskResult;
  }

  it('completes tasks on the secondary while the primary answers 500, then puts the primary aside', async () => {
    for (let i = 1; i <= 3; i++) {
      const task = await runTask(`Translate sentence ${i} into French`);
      expect(task).toMatchObject({ status: 'completed', error: null });
    }
    expect(primary.requests.map((request) => request.model)).toEqual(['primary-model', 'primary-model', 'primary-model']);
    expect(secondary.requests.map((request) => request.model)).toEqual(['backup-model', 'backup-model', 'backup-model']);
    const switched = { kind: 'failover', from: `primary-model at ${primary.url}`, to: `backup-model at ${secondary.url}`, reason: expect.stringContaining('HTTP 500') };
    await waitFor('three failover progress events', async () => failovers.length >= 3, 5_000);
    expect(failovers).toEqual([switched, switched, switched]);

    const metrics = await (await fetch(`${info.api}/metrics`, { headers: headers() })).text();
    expect(metrics).toContain(`lightning_provider_failovers_total{agent="general_assistant",from="primary-model at ${primary.url}",to="backup-model at ${secondary.url}"} 3`);

    // Three failures: cooling. status --json and the table show it (as of the next health probe).
    const document = await waitFor('status to show the primary cooling', async () => {
      const current = await status(dir);
      return current.agents[0]?.cooling?.length ? current : null;
    }, 5_000);
    expect(document.agents[0]!.cooling).toEqual([{ provider: `primary-model at ${primary.url}`, until: expect.any(String) }]);
    const table = await cli(dir, ['status']);
    expect(table.stdout).toContain('COOLING general_assistant#0: primary-model at');

    // While it cools, calls go straight to the secondary: no call to the primary, no failover.
    expect(await runTask('Translate one more sentence into French')).toMatchObject({ status: 'completed' });
    expect(primary.requests).toHaveLength(3);
    expect(failovers).toHaveLength(3);
  }, 60_000);

  it('uses the primary again once it answers and its cooldown is over', async () => {
    primary.setBehavior({ type: 'echo' });
    await waitFor('the cooldown to end', async () => !(await status(dir)).agents[0]?.cooling, 10_000);
    const task = await runTask('Translate a last sentence into French');
    expect(task).toMatchObject({ status: 'completed' });
    expect(primary.requests).toHaveLength(4);
    expect(primary.requests[3]!.model).toBe('primary-model');
    expect(secondary.requests).toHaveLength(4);
  }, 30_000);
});
