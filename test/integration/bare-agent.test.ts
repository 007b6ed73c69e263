import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { apiStatus, cli, teardown, upSingleAgent, waitFor } from '../helpers/fleet.js';

/**
 * A bare agent entry — name, port, description, capabilities; no prompt, no command — added to a
 * running fleet by editing agents.yaml: live reload starts it on the built-in worker, the router
 * sends it a task in its field, and the model receives the system prompt generated from its
 * words. Its log gets one line for the task: id, duration, tokens, outcome, never the input.
 */
describe('a bare agent entry', () => {
  let model: OpenAiTestServer;
  let dir: string;

  beforeAll(async () => {
    model = await startOpenAiTestServer();
    ({ dir } = await upSingleAgent(model.url));
    await cli(dir, ['tasks']); // the watcher starts with the task side: wait for it (as reload.test.ts does)
  });
  afterAll(async () => {
    await teardown(dir);
    await model.close();
  });

  it('is added by live reload, routed a task, and runs with the generated prompt', async () => {
    appendFileSync(path.join(dir, 'agents.yaml'), [
      '  k8s_helper:',
      '    port: 0',
      '    description: Deploys services to Kubernetes clusters with Helm charts',
      '    capabilities: [kubernetes, helm, deployment]',
      '',
    ].join('\n'));
    await waitFor('k8s_helper healthy', async () => (await apiStatus(dir)).agents.find((agent) => agent.name === 'k8s_helper' && agent.state === 'healthy'), 20_000);

    const input = 'Write a Helm chart to deploy the billing service on our Kubernetes cluster';
    const run = await cli(dir, ['run', '--json', input]);
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout) as { id: string; agent: string; status: string };
    expect([result.agent, result.status]).toEqual(['k8s_helper', 'completed']);

    const system = model.requests.map((request) => request.messages.find((message) => message.role === 'system')?.content).find((content) => String(content).startsWith('You are k8s_helper'));
    expect(String(system)).toContain([
      'You are k8s_helper, an agent in a lightning fleet.',
      'What you do: Deploys services to Kubernetes clusters with Helm charts',
      'Your areas of expertise: kubernetes, helm, deployment.',
    ].join('\n'));

    const log = await waitFor('the task line in the log', async () => {
      const text = readFileSync(path.join(dir, '.lightning/logs/k8s_helper-0.log'), 'utf8');
      return text.includes(`task ${result.id} `) ? text : null;
    });
    expect(log).toMatch(new RegExp(`task ${result.id} completed in \\d+ ms · \\d+ tokens \\(\\d+ in, \\d+ out\\)`));
    expect(log).not.toContain('billing service');
  });
});
