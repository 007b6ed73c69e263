import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { InstanceStatus } from '../../src/protocol/status.js';
import { apiStatus, cli, makeProject, status, teardown, testAgentYaml, waitFor } from '../helpers/fleet.js';

/**
 * Liveness and backoff on custom agents: one that can be told to fail its health checks, one
 * that crashes at once, and a bystander that must not be disturbed by either.
 */
const yaml = `version: 1
supervisor: { port: 0 }
defaults:
  health: { interval: 200ms, timeout: 200ms, failureThreshold: 3, startTimeout: 5s }
  restart: { initialDelay: 200ms, factor: 2, maxDelay: 5s, maxRestarts: 3 }
  stop: { grace: 1s }
agents:
${testAgentYaml('flaky')}
${testAgentYaml('crasher', { env: { CRASH: '1' } })}
${testAgentYaml('bystander')}
`;

const find = async (dir: string, name: string): Promise<InstanceStatus> =>
  (await apiStatus(dir)).agents.find((agent) => agent.name === name)!;

describe('restarts', () => {
  let dir: string;
  let bystander: InstanceStatus;

  beforeAll(async () => {
    dir = makeProject(yaml);
    const up = await cli(dir, ['up', '-d']);
    // The crasher cannot come up: up -d says so, naming it, with its log.
    expect(up.exitCode).toBe(1);
    expect(up.stderr).toContain('crasher#0');
    expect(up.stderr).toContain('crashing on purpose (CRASH=1)');
    expect(up.stderr).not.toContain('flaky#0');
    bystander = await find(dir, 'bystander');
    expect(bystander.state).toBe('healthy');
  });
  afterAll(() => teardown(dir));

  it('restarts a worker whose /health answers 500, after failureThreshold probes', async () => {
    const before = await find(dir, 'flaky');
    expect(before.state).toBe('healthy');
    const response = await fetch(`http://127.0.0.1:${before.port}/fail`, { method: 'POST' });
    expect(response.status).toBe(200);
    const seen = new Set<string>();
    const after = await waitFor('flaky restarted', async () => {
      const agent = await find(dir, 'flaky');
      seen.add(agent.state);
      return agent.state === 'healthy' && agent.pid !== before.pid ? agent : null;
    }, 15_000, 20);
    expect(seen.has('unhealthy')).toBe(true);
    expect(after.restarts).toBe(1);
    expect(after.lastExit).toMatch(/^health check failed: 3 probes in a row: HTTP 500/);
    const logs = await cli(dir, ['logs', 'flaky']);
    expect(logs.stdout).toContain('health check failed (1/3)');
    expect(logs.stdout).toContain('health check failed (2/3)');
  });

  it('backs off a crashing agent with growing delays, then marks it failed with the reason', async () => {
    const delays = new Map<number, number>();
    const failed = await waitFor('crasher failed', async () => {
      const agent = await find(dir, 'crasher');
      if (agent.state === 'backoff' && agent.nextRestartAt) delays.set(agent.restarts, Date.parse(agent.nextRestartAt));
      return agent.state === 'failed' ? agent : null;
    }, 20_000, 10);
    // The reason carries the exit code and the agent's own last words.
    expect(failed.reason).toMatch(/^exited with code 3; gave up after 3 restarts in a row; last output: .*crashing on purpose \(CRASH=1\)/);
    expect(failed.restarts).toBe(3);
    expect(failed.pid).toBeNull();
    const logs = (await cli(dir, ['logs', 'crasher'])).stdout;
    const planned = [...logs.matchAll(/restart (\d) in (\d+) ms/g)].map((match) => Number(match[2]));
    expect(planned).toHaveLength(3);
    // First restart at once, then initialDelay (±20 % jitter), then twice that.
    expect(planned[0]).toBe(0);
    expect(planned[1]).toBeGreaterThanOrEqual(160);
    expect(planned[2]).toBeGreaterThan(planned[1]!);
    expect(planned[2]).toBeGreaterThanOrEqual(320);
    const table = (await cli(dir, ['status'])).stdout;
    expect(table).toMatch(/crasher\s+0\s+failed\s+-\s+\d+\s+3\s+-\s+exited with code 3; gave up after 3 restarts in a row; last output: /);
    expect((await status(dir)).agents.find((agent) => agent.name === 'crasher')!.reason).toBe(failed.reason);
  });

  it('leaves the other agents untouched', async () => {
    const now = await find(dir, 'bystander');
    expect(now).toMatchObject({ state: 'healthy', pid: bystander.pid, restarts: 0 });
  });
});
