import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { apiStatus, cli, makeProject, teardown, testAgentYaml, waitFor } from '../helpers/fleet.js';

describe('alerts', () => {
  const received: Array<{ rule: string; agent: string; state: string; message: string }> = [];
  let hook: http.Server;
  let dir: string;
  let failFile: string;

  beforeAll(async () => {
    hook = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        received.push(JSON.parse(body) as (typeof received)[number]);
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    dir = makeProject('placeholder');
    failFile = path.join(dir, 'fail-now');
    writeFileSync(
      path.join(dir, 'agents.yaml'),
      `version: 1
supervisor: { port: 0 }
defaults:
  health: { interval: 100ms, timeout: 200ms, failureThreshold: 2, startTimeout: 1s }
  restart: { initialDelay: 100ms, maxDelay: 300ms, maxRestarts: 1000 }
  stop: { grace: 300ms }
alerts:
  unhealthyFor: 1s
  restarts: { count: 1000, window: 1m }
  webhook: { url: "${url}", timeout: 1s, retries: 2 }
agents:
${testAgentYaml('flaky', { env: { FAIL_FILE: failFile } })}
${testAgentYaml('steady')}
`,
    );
    expect((await cli(dir, ['up', '-d'])).exitCode).toBe(0);
  });
  afterAll(async () => {
    await teardown(dir);
    hook.close();
  });

  it('fires once when an agent stays unhealthy and resolves once after it recovers (webhook, status, ledger)', async () => {
    writeFileSync(failFile, '');
    const fired = await waitFor('alert fired', async () => received.find((alert) => alert.state === 'firing'), 15_000);
    expect(fired).toMatchObject({ rule: 'agent-unhealthy', agent: 'flaky' });
    expect((await apiStatus(dir)).alerts).toEqual([expect.objectContaining({ rule: 'agent-unhealthy', agent: 'flaky' })]);
    expect((await cli(dir, ['status'])).stdout).toContain('ALERT agent-unhealthy flaky');
    // Still failing: no storm of repeats.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(received.filter((alert) => alert.state === 'firing')).toHaveLength(1);

    rmSync(failFile);
    await waitFor('alert resolved', async () => received.find((alert) => alert.state === 'resolved'), 15_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(received.map((alert) => `${alert.state} ${alert.rule} ${alert.agent}`)).toEqual(['firing agent-unhealthy flaky', 'resolved agent-unhealthy flaky']);
    expect((await apiStatus(dir)).alerts).toEqual([]);
    const ledger = readFileSync(path.join(dir, '.lightning/ledger.jsonl'), 'utf8');
    expect(ledger.match(/"event":"alert"/g)).toHaveLength(2);
  }, 60_000);
});
