import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { StatusDocument } from '../../src/protocol/status.js';
import { alive, cli, getJson, repoFleetOnFreePorts, status, teardown, waitFor } from '../helpers/fleet.js';

const SIX = ['web_developer', 'data_analyst', 'security_expert', 'devops_engineer', 'qa_tester', 'general_assistant'];

describe('the six built-in agents', () => {
  let dir: string;
  let first: StatusDocument;

  beforeAll(async () => {
    dir = repoFleetOnFreePorts();
    const up = await cli(dir, ['up', '-d']);
    expect(up.stderr).toBe('');
    expect(up.exitCode).toBe(0);
    first = await status(dir);
  });
  afterAll(() => teardown(dir));

  it('brings every agent to healthy and shows it in status', async () => {
    expect(first.agents.map((agent) => agent.name)).toEqual(SIX);
    for (const agent of first.agents) {
      expect(agent.state).toBe('healthy');
      expect(agent.pid).toEqual(expect.any(Number));
      expect(agent.restarts).toBe(0);
      expect(agent.capabilities.length).toBeGreaterThanOrEqual(15);
    }
    const table = await cli(dir, ['status']);
    expect(table.exitCode).toBe(0);
    for (const name of SIX) expect(table.stdout).toContain(name);
    expect(table.stdout).toContain('healthy');
  });

  it('serves /health and an A2A agent card on every worker', async () => {
    for (const agent of first.agents) {
      const health = await getJson(`http://127.0.0.1:${agent.port}/health`);
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'ok', agent: agent.name, instance: 0, inflight: 0, capacity: 8 });
      const card = (await getJson(`http://127.0.0.1:${agent.port}/.well-known/agent-card.json`)).body as Record<string, any>;
      expect(card.name).toBe(agent.name);
      expect(card.capabilities).toMatchObject({ streaming: true });
      expect(card.supportedInterfaces[0].url).toBe(`http://127.0.0.1:${agent.port}/a2a/jsonrpc`);
      expect(card.skills.map((skill: { id: string }) => skill.id)).toEqual(agent.capabilities);
      expect(card.skills[0]).toEqual(expect.objectContaining({ id: expect.any(String), name: expect.any(String), description: expect.any(String), tags: expect.any(Array), examples: expect.any(Array) }));
      const legacy = (await getJson(`http://127.0.0.1:${agent.port}/.well-known/agent-card.json`, { 'A2A-Version': '0.3' })).body as Record<string, any>;
      expect(legacy).toMatchObject({ protocolVersion: '0.3.0', url: `http://127.0.0.1:${agent.port}/a2a/jsonrpc` });
    }
  });

  it('writes supervisor.json with mode 0600 and guards the control API with its token', async () => {
    const file = path.join(dir, '.lightning/supervisor.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const info = JSON.parse(readFileSync(file, 'utf8')) as { api: string; token: string; pid: number };
    expect(info.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await getJson(`${info.api}/healthz`)).status).toBe(200);
    expect((await getJson(`${info.api}/v1/agents`)).status).toBe(401);
    expect((await getJson(`${info.api}/v1/agents`, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await getJson(`${info.api}/v1/agents`, { authorization: `Bearer ${info.token}` })).status).toBe(200);
  });

  it("saves the supervisor's V8 code cache in the state directory once the fleet has settled", async () => {
    const cacheDir = path.join(dir, '.lightning/code-cache');
    const files = await waitFor('the code cache', async () => {
      const names = existsSync(cacheDir) ? readdirSync(cacheDir).filter((name) => !name.endsWith('.tmp')) : [];
      return names.length > 0 ? names : null;
    });
    expect(files).toEqual([expect.stringMatching(/^daemon-main\.cjs-[0-9a-f]{16}\.v8$/)]);
    const file = path.join(cacheDir, files[0]!);
    expect(statSync(file).size).toBeGreaterThan(10_000);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('restarts a SIGKILLed worker: healthy again with a new pid, the restart counted', async () => {
    const victim = first.agents.find((agent) => agent.name === 'data_analyst')!;
    process.kill(victim.pid!, 'SIGKILL');
    const back = await waitFor('data_analyst healthy with a new pid', async () => {
      const agent = (await status(dir)).agents.find((candidate) => candidate.name === 'data_analyst')!;
      return agent.state === 'healthy' && agent.pid !== victim.pid ? agent : null;
    });
    expect(back.restarts).toBe(1);
    expect(back.lastExit).toBe('killed by SIGKILL');
    const others = (await status(dir)).agents.filter((agent) => agent.name !== 'data_analyst');
    for (const agent of others) expect(agent.pid).toBe(first.agents.find((candidate) => candidate.name === agent.name)!.pid);
  });

  it('logs each instance with timestamps, and logs of an unknown agent list the known ones', async () => {
    const logs = await cli(dir, ['logs', 'data_analyst', '-n', '20']);
    expect(logs.exitCode).toBe(0);
    expect(logs.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /m);
    expect(logs.stdout).toContain('data_analyst#0 ready on http://127.0.0.1:');
    expect(logs.stdout).toMatch(/\[lightning\] killed by SIGKILL (after [\d.]+ m?s healthy; restarting at once|[\d.]+ m?s after it was healthy; restart 1 in 0 ms)/);
    const unknown = await cli(dir, ['logs', 'nobody']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('unknown agent "nobody"');
    for (const name of SIX) expect(unknown.stderr).toContain(name);
  });

  it('a second up says it is already running and shows status', async () => {
    const again = await cli(dir, ['up', '-d']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('already running');
    expect(again.stdout).toContain('web_developer');
  });

  it('down stops everything: no process of the fleet is left', async () => {
    const before = await status(dir);
    const pids = [before.supervisor.pid, ...before.agents.map((agent) => agent.pid!)];
    const down = await cli(dir, ['down']);
    expect(down.exitCode).toBe(0);
    expect(down.stdout).toContain('stopped 6 instance(s)');
    for (const pid of pids) expect(alive(pid)).toBe(false);
    const after = await cli(dir, ['status']);
    expect(after.exitCode).toBe(3);
    expect(after.stderr).toContain('no supervisor running');
  });
});
