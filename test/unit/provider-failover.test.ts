import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AgentConfig, ModelRoute } from '../../src/config/types.js';
import type { TaskProgress, WorkerOutcome } from '../../src/protocol/task.js';
import { ProviderCooldowns } from '../../src/worker/model/provider-cooldowns.js';
import { runModelTask } from '../../src/worker/model/runner.js';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';

/**
 * Model calls over an ordered list of providers: two real test model servers on port 0, the
 * runner's failover between them, and the cooldown in virtual time (an injected clock).
 */
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'lightning-failover-'));
let primary: OpenAiTestServer;
let secondary: OpenAiTestServer;

beforeAll(async () => {
  [primary, secondary] = await Promise.all([startOpenAiTestServer(), startOpenAiTestServer()]);
});
beforeEach(() => {
  for (const server of [primary, secondary]) {
    server.setBehavior({ type: 'echo' });
    server.requests.length = 0;
  }
});
afterAll(async () => {
  await Promise.all([primary.close(), secondary.close()]);
  fs.rmSync(base, { recursive: true, force: true });
});

function agent(routes: ModelRoute[]): AgentConfig {
  return {
    name: 'writer', port: 0, instances: 1, description: 'Writes things', capabilities: ['writing'],
    examples: [], fallback: false, prompt: null, command: null, url: null, tokenEnv: null, env: {}, cwd: base,
    model: routes[0]!.model, provider: { baseURL: routes[0]!.baseURL, apiKeyEnv: routes[0]!.apiKeyEnv }, routes,
    health: { path: '/health', intervalMs: 1000, timeoutMs: 500, failureThreshold: 3, startTimeoutMs: 30000 },
    restart: { policy: 'always', initialDelayMs: 1000, factor: 2, maxDelayMs: 30000, resetAfterMs: 60000, minUptimeMs: 1000, maxRestarts: 6 },
    stop: { graceMs: 5000 }, task: { timeoutMs: 120000, retries: 2, queueTimeoutMs: 30000, budget: { tokens: null, cost: null, timeMs: null }, approvalTimeoutMs: 600000 }, tools: { shell: false, approval: [], mcp: {} }, capacity: 4,
  };
}

const twoRoutes = (): ModelRoute[] => [
  { baseURL: primary.url, apiKeyEnv: 'PRIMARY_KEY', model: 'big-model' },
  { baseURL: secondary.url, apiKeyEnv: 'SECONDARY_KEY', model: 'small-model' },
];
const env = { PRIMARY_KEY: 'sk-primary-0123456789', SECONDARY_KEY: 'sk-secondary-0123456789' };

let counter = 0;
async function run(input: string, routes: ModelRoute[], cooldowns: ProviderCooldowns): Promise<{ outcome: WorkerOutcome; progress: TaskProgress[] }> {
  const progress: TaskProgress[] = [];
  const id = `task-${++counter}`;
  const outcome = await runModelTask({
    taskId: id, input, agent: agent(routes), workspace: path.join(base, id), signal: new AbortController().signal,
    onProgress: (p) => progress.push(p), env, maxRetries: 0, cooldowns,
  });
  const seen = JSON.stringify({ outcome, progress });
  expect(seen).not.toContain(env.PRIMARY_KEY);
  expect(seen).not.toContain(env.SECONDARY_KEY);
  return { outcome, progress };
}

function virtualClock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const failovers = (progress: TaskProgress[]) => progress.filter((p) => p.kind === 'failover');

describe('provider failover', () => {
  it('uses the first provider while it answers', async () => {
    const { outcome, progress } = await run('hello', twoRoutes(), new ProviderCooldowns({ failures: 3, windowMs: 60_000, cooldownMs: 5_000 }));
    expect(outcome.status).toBe('completed');
    expect(primary.requests).toHaveLength(1);
    expect(primary.requests[0]).toMatchObject({ model: 'big-model', authorization: `Bearer ${env.PRIMARY_KEY}` });
    expect(secondary.requests).toHaveLength(0);
    expect(failovers(progress)).toEqual([]);
  });

  it.each([500, 503, 429])('on HTTP %i the call goes to the next provider, announced as a failover progress event', async (status) => {
    primary.setBehavior({ type: 'status', status });
    const { outcome, progress } = await run('hello', twoRoutes(), new ProviderCooldowns({ failures: 3, windowMs: 60_000, cooldownMs: 5_000 }));
    expect(outcome).toMatchObject({ status: 'completed', error: null });
    expect(outcome.output).toContain('hello');
    expect(primary.requests).toHaveLength(1); // no SDK retry on a route that has a next one
    expect(secondary.requests).toHaveLength(1);
    expect(secondary.requests[0]).toMatchObject({ model: 'small-model', authorization: `Bearer ${env.SECONDARY_KEY}` });
    expect(failovers(progress)).toEqual([
      { kind: 'failover', from: `big-model at ${primary.url}`, to: `small-model at ${secondary.url}`, reason: expect.stringContaining(`HTTP ${status}`) },
    ]);
  });

  it('a connection error fails over too', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const routes = [{ baseURL: `http://127.0.0.1:${port}/v1`, apiKeyEnv: 'PRIMARY_KEY', model: 'big-model' }, twoRoutes()[1]!];
    const { outcome, progress } = await run('hello', routes, new ProviderCooldowns({ failures: 3, windowMs: 60_000, cooldownMs: 5_000 }));
    expect(outcome.status).toBe('completed');
    expect(failovers(progress)).toHaveLength(1);
    expect(failovers(progress)[0]).toMatchObject({ reason: expect.stringContaining('cannot reach') });
  });

  it('a connection the provider closes before answering (a dropped keep-alive) is sent again once, not failed over; twice, it fails over', async () => {
    // Closes the connection of the first `drops` requests without a word, then passes requests to the primary test server.
    let drops = 1;
    let seen = 0;
    const dropping = http.createServer((req, res) => {
      seen++;
      if (drops > 0) {
        drops--;
        return void req.socket.destroy();
      }
      const target = new URL(primary.url);
      const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => dropping.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(dropping.address() as net.AddressInfo).port}/v1`;
      const routes = [{ baseURL: url, apiKeyEnv: 'PRIMARY_KEY', model: 'big-model' }, twoRoutes()[1]!];
      const cooldowns = new ProviderCooldowns({ failures: 1, windowMs: 60_000, cooldownMs: 5_000 });
      const resent = await run('hello', routes, cooldowns);
      expect(resent.outcome.status).toBe('completed');
      expect(failovers(resent.progress)).toEqual([]);
      expect([seen, primary.requests.length, secondary.requests.length]).toEqual([2, 1, 0]);
      expect(cooldowns.cooling()).toEqual([]);

      drops = 2;
      seen = 0;
      const moved = await run('hello', routes, cooldowns);
      expect(moved.outcome.status).toBe('completed');
      expect(failovers(moved.progress)).toEqual([expect.objectContaining({ from: `big-model at ${url}`, reason: expect.stringContaining('cannot reach') })]);
      expect([seen, secondary.requests.length]).toEqual([2, 1]);
    } finally {
      dropping.closeAllConnections();
      await new Promise((resolve) => dropping.close(resolve));
    }
  });

  it('a provider that does not start answering within its timeout fails over', async () => {
    // Accepts the request and never answers: a provider wedged or queueing without end.
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}/v1`;
      const routes = [{ baseURL: url, apiKeyEnv: 'PRIMARY_KEY', model: 'big-model', timeoutMs: 300 }, twoRoutes()[1]!];
      const { outcome, progress } = await run('hello', routes, new ProviderCooldowns({ failures: 3, windowMs: 60_000, cooldownMs: 5_000 }));
      expect(outcome.status).toBe('completed');
      expect(failovers(progress)).toEqual([{ kind: 'failover', from: `big-model at ${url}`, to: `small-model at ${secondary.url}`, reason: `model endpoint ${url} did not answer within 300 ms (1 try)` }]);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('a lone provider is never reported as cooling: there is nothing to fail over to', async () => {
    primary.setBehavior({ type: 'status', status: 500 });
    const cooldowns = new ProviderCooldowns({ failures: 1, windowMs: 60_000, cooldownMs: 5_000 });
    const { outcome } = await run('hello', [twoRoutes()[0]!], cooldowns);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toContain('HTTP 500');
    expect(cooldowns.cooling()).toEqual([]);
  });

  it('a request the provider refuses (HTTP 400) does not fail over: another provider would refuse it too', async () => {
    primary.setBehavior({ type: 'status', status: 400, message: 'bad request' });
    const { outcome, progress } = await run('hello', twoRoutes(), new ProviderCooldowns({ failures: 3, windowMs: 60_000, cooldownMs: 5_000 }));
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toContain('HTTP 400');
    expect(secondary.requests).toHaveLength(0);
    expect(failovers(progress)).toEqual([]);
  });

  it('a tool-call parse failure (the model\'s output) neither fails over nor cools the provider down', async () => {
    const cooldowns = new ProviderCooldowns({ failures: 1, windowMs: 60_000, cooldownMs: 5_000 });
    primary.setBehavior({ type: 'tool-parse-failure', times: 4, then: { type: 'echo' } });
    for (let i = 0; i < 2; i++) {
      const { outcome, progress } = await run(`task ${i}`, twoRoutes(), cooldowns);
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toContain('cannot parse as JSON');
      expect(failovers(progress)).toEqual([]);
    }
    expect(primary.requests).toHaveLength(4);
    expect(secondary.requests).toHaveLength(0);
    expect(cooldowns.cooling()).toEqual([]);
    expect((await run('after', twoRoutes(), cooldowns)).outcome.status).toBe('completed');
    expect(primary.requests).toHaveLength(5);
  });

  it('when every provider fails, the task fails naming the last one tried', async () => {
    primary.setBehavior({ type: 'status', status: 500 });
    secondary.setBehavior({ type: 'status', status: 502 });
    const { outcome, progress } = await run('hello', twoRoutes(), new ProviderCooldowns({ failures: 3, windowMs: 60_000, cooldownMs: 5_000 }));
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toContain(secondary.url);
    expect(outcome.error).toContain('HTTP 502');
    expect(failovers(progress)).toHaveLength(1);
  });

  it('a failing primary cools down after N failures, the secondary answers first meanwhile, and the primary is used again after the cooldown', async () => {
    const time = virtualClock();
    const cooldowns = new ProviderCooldowns({ failures: 3, windowMs: 60_000, cooldownMs: 5_000 }, time.now);
    const label = `big-model at ${primary.url}`;
    primary.setBehavior({ type: 'status', status: 500 });
    for (let i = 0; i < 3; i++) {
      const { outcome, progress } = await run(`task ${i}`, twoRoutes(), cooldowns);
      expect(outcome.status).toBe('completed');
      expect(failovers(progress)).toHaveLength(1);
    }
    expect(primary.requests).toHaveLength(3);
    expect(cooldowns.cooling()).toEqual([{ provider: label, retryInMs: 5_000 }]);

    // Cooling: straight to the secondary, no failover (nothing failed).
    time.advance(4_000);
    const during = await run('while cooling', twoRoutes(), cooldowns);
    expect(during.outcome.status).toBe('completed');
    expect(failovers(during.progress)).toEqual([]);
    expect(primary.requests).toHaveLength(3);

    // Still down when its cooldown ends: one try, and it is aside again at once.
    time.advance(1_000);
    const probe = await run('first try after', twoRoutes(), cooldowns);
    expect(probe.outcome.status).toBe('completed');
    expect(failovers(probe.progress)).toHaveLength(1);
    expect(primary.requests).toHaveLength(4);
    expect(cooldowns.isCooling(label)).toBe(true);

    // Back: after the next cooldown the primary answers again and keeps the traffic.
    primary.setBehavior({ type: 'echo' });
    time.advance(5_000);
    secondary.requests.length = 0;
    for (let i = 0; i < 2; i++) {
      const after = await run(`after ${i}`, twoRoutes(), cooldowns);
      expect(after.outcome.status).toBe('completed');
      expect(failovers(after.progress)).toEqual([]);
    }
    expect(primary.requests).toHaveLength(6);
    expect(secondary.requests).toHaveLength(0);
    expect(cooldowns.cooling()).toEqual([]);
  });
});
