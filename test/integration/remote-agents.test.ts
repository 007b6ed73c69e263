import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { findFreePort } from '../../src/supervisor/port-check.js';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { BIN, ROOT, apiStatus, cli, makeProject, teardown, testAgentYaml, userEnv, waitFor } from '../helpers/fleet.js';

/**
 * Two supervisors' worth of agents on one machine: project "a" runs a supervisor; project "b"
 * stands for another machine whose workers are started by hand — one named in a's agents.yaml by
 * `url:`, one that joins a by itself with the join token.
 */
let model: OpenAiTestServer;
let a: string;
let b: string;
let api: string;
let joinToken: string;
const started: ResultPromise[] = [];

/** A built-in worker of project b, started by hand (as on another machine). */
function handWorker(args: string[], env: Record<string, string> = {}): ResultPromise {
  const child = execa(process.execPath, [BIN, '-c', path.join(b, 'agents.yaml'), 'worker', ...args], {
    cwd: b,
    env: userEnv(env),
    extendEnv: false,
    reject: false,
    all: true,
  });
  started.push(child);
  return child;
}

beforeAll(async () => {
  model = await startOpenAiTestServer();
  b = makeProject(`version: 1
defaults:
  provider: { baseURL: "${model.url}" }
agents:
  data_analyst:
    port: 0
    description: analyses data sets
    capabilities: [csv, statistics, pandas]
    prompt: templates/prompts/data_analyst.md
  qa_tester:
    port: 0
    description: writes and runs tests
    capabilities: [tests, qa, jest]
    prompt: templates/prompts/qa_tester.md
  general_assistant:
    port: 0
    description: writing and translation
    capabilities: [writing, translation]
    prompt: templates/prompts/general_assistant.md
    fallback: true
`);
});

afterAll(async () => {
  for (const child of started) child.kill('SIGKILL');
  if (a) await teardown(a);
  await model.close();
}, 30_000);

describe('remote agents (url:) and agents that join by themselves', () => {
  let remotePort: number;
  let remote: ResultPromise;

  it('an agents.yaml entry with url: is probed and routed to, never spawned', async () => {
    remotePort = await findFreePort();
    remote = handWorker(['--agent', 'data_analyst', '--port', String(remotePort)]);
    a = makeProject(`version: 1
supervisor: { port: 0 }
defaults:
  provider: { baseURL: "${model.url}" }
agents:
  general_assistant:
    port: 0
    description: writing and translation
    capabilities: [writing, translation]
    prompt: templates/prompts/general_assistant.md
    fallback: true
  data_analyst:
    url: http://127.0.0.1:${remotePort}
    description: analyses data sets
    capabilities: [csv, statistics, pandas]
    health: { interval: 200ms, failureThreshold: 2 }
`);
    await waitFor('the hand-started worker', async () => (await fetch(`http://127.0.0.1:${remotePort}/health`)).ok);
    const up = await cli(a, ['up', '-d']);
    expect(up.stderr).toBe('');
    expect(up.exitCode).toBe(0);
    const info = JSON.parse(readFileSync(path.join(a, '.lightning/supervisor.json'), 'utf8')) as { api: string };
    api = info.api;
    joinToken = readFileSync(path.join(a, '.lightning/join-token'), 'utf8').trim();

    const doc = await apiStatus(a);
    const entry = doc.agents.find((agent) => agent.name === 'data_analyst');
    expect(entry).toMatchObject({ kind: 'remote', url: `http://127.0.0.1:${remotePort}`, pid: null, state: 'healthy', restarts: 0 });
    const table = await cli(a, ['status']);
    expect(table.stdout).toMatch(new RegExp(`data_analyst\\s+0\\s+healthy\\s+remote\\s+127\\.0\\.0\\.1:${remotePort}`));

    const byCapability = await cli(a, ['run', 'Compute summary statistics of sales.csv with pandas', '--json']);
    expect(byCapability.exitCode).toBe(0);
    expect(JSON.parse(byCapability.stdout)).toMatchObject({ status: 'completed', agent: 'data_analyst' });
  });

  it('a remote agent that goes away turns unreachable and is never restarted', async () => {
    remote.kill('SIGKILL');
    await remote;
    const gone = await waitFor('data_analyst unreachable', async () => {
      const entry = (await apiStatus(a)).agents.find((agent) => agent.name === 'data_analyst');
      return entry?.state === 'unreachable' ? entry : null;
    });
    expect(gone).toMatchObject({ restarts: 0, pid: null });
    expect(gone.reason).toMatch(/ECONNREFUSED/);
    // Another data_analyst joins (from "machine b"): the agent's tasks go to the instance that answers.
    const spare = handWorker(['--agent', 'data_analyst', '--port', '0', '--join', api], { LIGHTNING_JOIN_TOKEN: joinToken });
    await waitFor('data_analyst#1 joined', async () => (await apiStatus(a)).agents.some((agent) => agent.name === 'data_analyst' && agent.instance === 1 && agent.state === 'healthy'));
    const run = await cli(a, ['run', 'Compute summary statistics of sales.csv with pandas', '--json']);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'completed', agent: 'data_analyst', instance: 1 });
    spare.kill('SIGTERM');
    await spare;

    // When it answers again it is routed to again; lightning never started or restarted it.
    remote = handWorker(['--agent', 'data_analyst', '--port', String(remotePort)]);
    const back = await waitFor('data_analyst healthy again', async () => {
      const entry = (await apiStatus(a)).agents.find((agent) => agent.name === 'data_analyst' && agent.instance === 0);
      return entry?.state === 'healthy' ? entry : null;
    });
    expect(back.restarts).toBe(0);
  });

  it('a worker started by hand with --join appears in status, receives tasks, and leaves when its lease runs out', async () => {
    const worker = handWorker(['--agent', 'qa_tester', '--port', '0', '--join', api, '--lease', '1s'], { LIGHTNING_JOIN_TOKEN: joinToken });
    const joined = await waitFor('qa_tester joined', async () => {
      const entry = (await apiStatus(a)).agents.find((agent) => agent.name === 'qa_tester');
      return entry?.state === 'healthy' ? entry : null;
    });
    expect(joined).toMatchObject({ kind: 'registered', pid: null, instance: 0 });
    expect(joined.leaseExpiresAt).not.toBeNull();

    const run = await cli(a, ['run', 'Write jest tests for the checkout flow', '--json']);
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'completed', agent: 'qa_tester' });

    // Heartbeats keep it there past several leases.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect((await apiStatus(a)).agents.some((agent) => agent.name === 'qa_tester')).toBe(true);

    worker.kill('SIGKILL');
    await worker;
    await waitFor('qa_tester gone after its lease', async () => !(await apiStatus(a)).agents.some((agent) => agent.name === 'qa_tester'), 10_000);
    const list = await cli(a, ['route', 'Write jest tests for the checkout flow', '--json']);
    expect(list.stdout).not.toMatch(/"pick":\s*\{[^}]*qa_tester/);
  });

  it('joining as an agent the supervisor already runs adds an instance of it', async () => {
    const worker = handWorker(['--agent', 'general_assistant', '--port', '0', '--join', api, '--lease', '1s'], { LIGHTNING_JOIN_TOKEN: joinToken });
    const joinedAt = async (instance: number) =>
      waitFor(`general_assistant#${instance} registered`, async () => {
        const entry = (await apiStatus(a)).agents.find((agent) => agent.name === 'general_assistant' && agent.instance === instance);
        return entry?.kind === 'registered' && entry.state === 'healthy' ? entry : null;
      });
    await joinedAt(1);

    // agents.yaml now plans two local instances: the joined one leaves and re-joins after them.
    const file = path.join(a, 'agents.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('    fallback: true\n', '    fallback: true\n    instances: 2\n'));
    const reload = await cli(a, ['reload']);
    expect(reload.exitCode).toBe(0);
    await joinedAt(2);
    const local = (await apiStatus(a)).agents.filter((agent) => agent.name === 'general_assistant' && agent.kind === 'local');
    expect(local.map((agent) => agent.instance)).toEqual([0, 1]);
    worker.kill('SIGTERM');
    // A worker that stops on purpose leaves at once rather than waiting out its lease.
    await waitFor('general_assistant#2 left', async () => !(await apiStatus(a)).agents.some((agent) => agent.name === 'general_assistant' && agent.kind === 'registered'), 5_000);
  });

  it('registration needs the join token; bad requests are refused with reasons', async () => {
    const wrong = handWorker(['--agent', 'qa_tester', '--port', '0', '--join', api, '--token', 'not-the-join-token-at-all']);
    const result = await wrong;
    expect(result.exitCode).toBe(1);
    expect(result.all).toMatch(/could not join .*HTTP 401.*join token/);

    const post = (body: unknown, token: string | null) =>
      fetch(`${api}/v1/agents/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      });
    expect((await post({ url: 'http://127.0.0.1:1' }, null)).status).toBe(401);
    const badUrl = await post({ url: 'ftp://x' }, joinToken);
    expect(badUrl.status).toBe(400);
    expect(((await badUrl.json()) as { error: string }).error).toBe('bad_url');
    const badTtl = await post({ url: 'http://127.0.0.1:1', ttlMs: 5 }, joinToken);
    expect(badTtl.status).toBe(400);
    const noCard = await post({ url: `http://127.0.0.1:${await findFreePort()}` }, joinToken);
    expect(noCard.status).toBe(422);
    expect(((await noCard.json()) as { message: string }).message).toMatch(/could not read the agent card/);
    // The control API's own routes still refuse the join token: joining is all it allows.
    const agents = await fetch(`${api}/v1/agents`, { headers: { authorization: `Bearer ${joinToken}` } });
    expect(agents.status).toBe(401);
  });

  it('any agent can join over HTTP: by its card URL, heartbeats by id, and leaves', async () => {
    const agent = http.createServer((request, response) => {
      const card = { name: 'Card Reader', description: 'reads cards', version: '1', skills: [{ id: 'cards', name: 'cards', description: 'reads cards', tags: ['cards'] }] };
      response.writeHead(request.url === '/health' ? 200 : request.url === '/.well-known/agent-card.json' ? 200 : 404, { 'content-type': 'application/json' });
      response.end(JSON.stringify(request.url === '/health' ? { status: 'ok' } : card));
    });
    await new Promise<void>((resolve) => agent.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(agent.address() as AddressInfo).port}`;
    const auth = { authorization: `Bearer ${joinToken}`, 'content-type': 'application/json' };
    try {
      const joined = await fetch(`${api}/v1/agents/register`, { method: 'POST', headers: auth, body: JSON.stringify({ cardUrl: `${base}/.well-known/agent-card.json`, leaseMs: 60_000 }) });
      expect(joined.status).toBe(201);
      const body = (await joined.json()) as { id: string; name: string; leaseMs: number };
      expect(body).toMatchObject({ id: 'Card_Reader#0', name: 'Card_Reader', leaseMs: 60_000 });
      const entry = await waitFor('Card_Reader healthy', async () => (await apiStatus(a)).agents.find((x) => x.name === 'Card_Reader' && x.state === 'healthy'));
      expect(entry).toMatchObject({ kind: 'registered', url: base });
      const beat = await fetch(`${api}/v1/agents/register/${encodeURIComponent(body.id)}/heartbeat`, { method: 'POST', headers: auth });
      expect(beat.status).toBe(200);
      const left = await fetch(`${api}/v1/agents/register/${encodeURIComponent(body.id)}`, { method: 'DELETE', headers: auth });
      expect(left.status).toBe(200);
      expect((await apiStatus(a)).agents.some((x) => x.name === 'Card_Reader')).toBe(false);
      const late = await fetch(`${api}/v1/agents/register/${encodeURIComponent(body.id)}/heartbeat`, { method: 'POST', headers: auth });
      expect(late.status).toBe(404);
    } finally {
      agent.close();
    }
  });

  it('a scaffolded Python agent started by hand with LIGHTNING_SUPERVISOR and the join token joins by itself', async () => {
    const port = await findFreePort();
    const agent = execa('python3', [path.join(ROOT, 'templates/agent-python/agent.py')], {
      env: userEnv({ PORT: String(port), LIGHTNING_SUPERVISOR: api, LIGHTNING_JOIN_TOKEN: joinToken, LIGHTNING_LEASE_MS: '1000' }),
      extendEnv: false,
      reject: false,
      all: true,
    });
    started.push(agent);
    const joined = await waitFor('my_agent joined', async () => (await apiStatus(a)).agents.find((x) => x.name === 'my_agent' && x.state === 'healthy'));
    expect(joined).toMatchObject({ kind: 'registered', url: `http://127.0.0.1:${port}` });
    const run = await cli(a, ['run', '--agent', 'my_agent', 'Say hello', '--json']);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'completed', agent: 'my_agent' });
    // It answers only the supervisor it joined: the join token is its bearer now.
    const anonymous = await fetch(`http://127.0.0.1:${port}/a2a/jsonrpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"tasks/get","params":{"id":"x"}}' });
    expect(anonymous.status).toBe(401);
    agent.kill('SIGKILL');
    await agent;
    await waitFor('my_agent gone after its lease', async () => !(await apiStatus(a)).agents.some((x) => x.name === 'my_agent'), 10_000);
  });

  it('binds beyond loopback only when agents.yaml says so; then /metrics and joining need a token', async () => {
    const open = makeProject(`version: 1
supervisor: { host: 0.0.0.0, port: 0 }
agents:
${testAgentYaml('probe_me')}
`);
    try {
      const up = await cli(open, ['up', '-d']);
      expect(up.exitCode).toBe(0);
      const info = JSON.parse(readFileSync(path.join(open, '.lightning/supervisor.json'), 'utf8')) as { api: string; token: string };
      const port = Number(new URL(info.api).port);
      const listening = readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1).map((line) => line.trim().split(/\s+/));
      // 0A = LISTEN; 00000000 = 0.0.0.0
      expect(listening.some((f) => f[3] === '0A' && f[1] === `00000000:${port.toString(16).toUpperCase().padStart(4, '0')}`)).toBe(true);
      const local = `http://127.0.0.1:${port}`;
      expect((await fetch(`${local}/metrics`)).status).toBe(401);
      const token = readFileSync(path.join(open, '.lightning/join-token'), 'utf8').trim();
      expect((await fetch(`${local}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      const anonymous = await fetch(`${local}/v1/agents/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"url":"http://127.0.0.1:1"}' });
      expect(anonymous.status).toBe(401);
      expect(readFileSync(path.join(open, '.lightning/supervisor.log'), 'utf8')).toMatch(/beyond loopback/);
    } finally {
      await teardown(open);
    }
  });
});
