import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import type { TaskResult } from '../../src/protocol/task.js';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { ROOT, apiStatus, cli, makeProject, teardown } from '../helpers/fleet.js';

const API_KEY = 'sk-test-SECRET-0123456789abcdef';

/** Listening TCP sockets of a process, from /proc (Linux): "address:port" strings. */
function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match) inodes.add(match[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const found: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] !== '0A' || !inodes.has(fields[9]!)) continue;
      const [hex, port] = fields[1]!.split(':');
      const address = hex!.length === 8 ? hex!.match(/../g)!.reverse().map((byte) => parseInt(byte, 16)).join('.') : hex!;
      found.push(`${address}:${parseInt(port!, 16)}`);
    }
  }
  return found;
}

/** The token the supervisor gave a worker, from its environment (Linux /proc). */
function workerTokenOf(pid: number): string {
  const pair = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((entry) => entry.startsWith('LIGHTNING_TOKEN='));
  if (!pair) throw new Error(`pid ${pid} has no LIGHTNING_TOKEN`);
  return pair.slice('LIGHTNING_TOKEN='.length);
}

describe('security checks', () => {
  let model: OpenAiTestServer;
  let dir: string;

  beforeAll(async () => {
    model = await startOpenAiTestServer();
    // general_assistant may use the shell, unasked: the confinement and environment checks below need it.
    const yaml = readFileSync(path.join(ROOT, 'agents.yaml'), 'utf8')
      .replace(/port: \d+/g, 'port: 0')
      .replace('baseURL: null', `baseURL: "${model.url}"`)
      .replace('    fallback: true\n', '    fallback: true\n    tools: { shell: true, approval: [] }\n');
    dir = makeProject(yaml);
    expect((await cli(dir, ['up', '-d'], { env: { OPENAI_API_KEY: API_KEY } })).exitCode).toBe(0);
  });
  afterAll(async () => {
    await teardown(dir);
    await model.close();
  });

  it('the model key reaches the model, and never the ledger, logs, status, stdout or any argv', async () => {
    // A task whose input and output carry the key: the ledger must still not hold it.
    const run = await cli(dir, ['run', '--json', `Repeat this back: ${API_KEY}`], { env: { OPENAI_API_KEY: API_KEY } });
    expect(run.exitCode).toBe(0);
    expect(model.requests.at(-1)?.authorization).toBe(`Bearer ${API_KEY}`);
    const ledger = readFileSync(path.join(dir, '.lightning/ledger.jsonl'), 'utf8');
    expect(ledger).toContain('[redacted]');
    expect(ledger).not.toContain(API_KEY);
    const logsDir = path.join(dir, '.lightning/logs');
    for (const file of readdirSync(logsDir)) expect(readFileSync(path.join(logsDir, file), 'utf8')).not.toContain(API_KEY);
    expect(readFileSync(path.join(dir, '.lightning/supervisor.log'), 'utf8')).not.toContain(API_KEY);
    const status = await cli(dir, ['status', '--json']);
    expect(status.stdout).not.toContain(API_KEY);
    const document = JSON.parse(status.stdout) as { supervisor: { pid: number }; agents: Array<{ pid: number }> };
    for (const pid of [document.supervisor.pid, ...document.agents.map((agent) => agent.pid)]) {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      expect(argv).not.toContain(API_KEY);
      expect(argv).not.toMatch(/[0-9a-f]{64}/); // no token in any argv
    }
    const task = JSON.parse(run.stdout) as TaskResult;
    expect(task.input).not.toContain(API_KEY);
  });

  it('nothing listens beyond 127.0.0.1', async () => {
    const document = await apiStatus(dir);
    const pids = [document.supervisor.pid, ...document.agents.map((agent) => agent.pid!)];
    for (const pid of pids) {
      const addresses = listeningAddresses(pid);
      expect(addresses.length).toBeGreaterThan(0);
      for (const address of addresses) expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    }
  });

  it('supervisor.json is 0600; the control API and the workers refuse requests without the token', async () => {
    const file = path.join(dir, '.lightning/supervisor.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // Task inputs and outputs, and what agents print, are the owner's alone too.
    expect(statSync(path.join(dir, '.lightning/ledger.jsonl')).mode & 0o777).toBe(0o600);
    for (const log of readdirSync(path.join(dir, '.lightning/logs'))) expect(statSync(path.join(dir, '.lightning/logs', log)).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(dir, '.lightning/join-token')).mode & 0o777).toBe(0o600);
    const { api } = JSON.parse(readFileSync(file, 'utf8')) as { api: string };
    for (const [method, route] of [['GET', '/v1/agents'], ['GET', '/v1/tasks'], ['POST', '/v1/tasks'], ['POST', '/v1/shutdown'], ['GET', '/v1/events'], ['POST', '/v1/route']] as const) {
      expect((await fetch(`${api}${route}`, { method })).status).toBe(401);
    }
    const worker = (await apiStatus(dir)).agents[0]!;
    const rpc = await fetch(`http://127.0.0.1:${worker.port}/a2a/jsonrpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(rpc.status).toBe(401);
  });
  it('every control API route refuses a missing, wrong or misplaced token, and the worker token', async () => {
    const { api, token } = JSON.parse(readFileSync(path.join(dir, '.lightning/supervisor.json'), 'utf8')) as { api: string; token: string };
    const workerToken = workerTokenOf((await apiStatus(dir)).agents[0]!.pid!);
    expect(workerToken).not.toBe(token);
    const routes: Array<[string, string]> = [
      ['GET', '/v1/agents'], ['GET', '/v1/tasks'], ['POST', '/v1/tasks'], ['GET', '/v1/tasks/some-id'],
      ['POST', '/v1/tasks/some-id/cancel'], ['POST', '/v1/tasks/some-id/feedback'], ['POST', '/v1/route'],
      ['GET', '/v1/events'], ['GET', '/v1/events?task=some-id'], ['POST', '/v1/dashboard/login'], ['POST', '/v1/reload'],
      ['POST', '/v1/shutdown'], ['POST', '/v1/agents/register'], ['GET', '/v1/no-such-route'],
    ];
    const refusals: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: `Basic ${token}` },
      { authorization: `Bearer ${workerToken}` },
    ];
    for (const [method, route] of routes) {
      for (const headers of refusals) {
        const response = await fetch(`${api}${route}`, { method, headers: { 'content-type': 'application/json', ...headers }, ...(method === 'POST' ? { body: '{}' } : {}) });
        expect([method, route, headers, response.status]).toEqual([method, route, headers, 401]);
        await response.body?.cancel();
      }
      // Not in the query string either: tokens in URLs end up in logs and histories.
      const inQuery = await fetch(`${api}${route}${route.includes('?') ? '&' : '?'}token=${token}`, { method });
      expect([method, route, 'token in the query', inQuery.status]).toEqual([method, route, 'token in the query', 401]);
    }
    // The dashboard page wants its session cookie, not a guess.
    expect((await fetch(`${api}/`, { headers: { cookie: 'lightning_session=forged' } })).status).toBe(401);
    // What is open carries no secret.
    for (const open of ['/healthz', '/metrics']) expect(await (await fetch(`${api}${open}`)).text()).not.toContain(token);
  });

  it('every worker JSON-RPC method refuses a missing token and the control token', async () => {
    const { token } = JSON.parse(readFileSync(path.join(dir, '.lightning/supervisor.json'), 'utf8')) as { token: string };
    const message = { kind: 'message', messageId: 'm-1', role: 'user', parts: [{ kind: 'text', text: 'hi' }] };
    const calls: Array<[string, unknown, Record<string, string>]> = [
      ['message/send', { message }, {}], ['message/stream', { message }, {}], ['tasks/get', { id: 'x' }, {}], ['tasks/cancel', { id: 'x' }, {}],
      ['SendMessage', { message: { messageId: 'm-2', role: 'ROLE_USER', parts: [{ text: 'hi' }] } }, { 'A2A-Version': '1.0' }],
      ['GetTask', { id: 'x' }, { 'A2A-Version': '1.0' }],
    ];
    for (const worker of (await apiStatus(dir)).agents) {
      for (const [method, params, extra] of calls) {
        for (const auth of [{}, { authorization: `Bearer ${token}` }] as Array<Record<string, string>>) {
          const response = await fetch(`http://127.0.0.1:${worker.port}/a2a/jsonrpc`, {
            method: 'POST', headers: { 'content-type': 'application/json', ...extra, ...auth }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
          });
          expect([worker.name, method, Object.keys(auth), response.status]).toEqual([worker.name, method, Object.keys(auth), 401]);
          await response.body?.cancel();
        }
      }
    }
  });

  it('tokens never reach logs, ledger, status or argv, and the control token no worker environment', async () => {
    const { token } = JSON.parse(readFileSync(path.join(dir, '.lightning/supervisor.json'), 'utf8')) as { token: string };
    const document = await apiStatus(dir);
    const workerToken = workerTokenOf(document.agents[0]!.pid!);
    const home = path.join(dir, '.lightning');
    const texts: Array<[string, string]> = [
      ['ledger.jsonl', readFileSync(path.join(home, 'ledger.jsonl'), 'utf8')],
      ['supervisor.log', readFileSync(path.join(home, 'supervisor.log'), 'utf8')],
      ...readdirSync(path.join(home, 'logs')).map((file): [string, string] => [file, readFileSync(path.join(home, 'logs', file), 'utf8')]),
      ['status --json', (await cli(dir, ['status', '--json'])).stdout],
      ['tasks --json', (await cli(dir, ['tasks', '--json'])).stdout],
    ];
    for (const pid of [document.supervisor.pid, ...document.agents.map((agent) => agent.pid!)]) texts.push([`argv of ${pid}`, readFileSync(`/proc/${pid}/cmdline`, 'utf8')]);
    for (const [where, text] of texts) {
      expect([where, text.includes(token), text.includes(workerToken), text.includes(API_KEY)]).toEqual([where, false, false, false]);
    }
    // Workers hold their own token, never the one that drives the supervisor.
    for (const agent of document.agents) expect(readFileSync(`/proc/${agent.pid}/environ`, 'utf8')).not.toContain(token);
  });

  it('the file tools refuse symlinks out of the workspace, and the shell gets neither key nor token', async () => {
    model.setBehavior({
      type: 'scripted',
      responses: [
        { toolCalls: [{ name: 'run_shell', arguments: { command: 'ln -s /etc/hostname host-link && ln -s / root-link && env' } }] },
        { toolCalls: [{ name: 'read_file', arguments: { path: 'host-link' } }] },
        { toolCalls: [{ name: 'write_file', arguments: { path: 'root-link/tmp/lightning-escaped.txt', content: 'escaped' } }] },
        { toolCalls: [{ name: 'list_files', arguments: { path: 'root-link' } }] },
        { content: 'done' },
      ],
    });
    try {
      const before = model.requests.length;
      const run = await cli(dir, ['run', '--json', '--agent', 'general_assistant', 'Link things and read them'], { env: { OPENAI_API_KEY: API_KEY } });
      expect(run.exitCode).toBe(0);
      const toolResults = model.requests.slice(before).map((request) => request.messages.at(-1)).filter((message) => message?.role === 'tool').map((message) => String(message!.content));
      expect(toolResults).toHaveLength(4);
      const [shell, read, write, list] = toolResults as [string, string, string, string];
      expect(shell).toContain('LIGHTNING_AGENT=general_assistant'); // the environment was printed…
      expect(shell).not.toContain(API_KEY); // …without the model key
      expect(shell).not.toContain('LIGHTNING_TOKEN=');
      expect(read).toBe('error: path escapes the workspace: host-link');
      expect(write).toBe('error: path escapes the workspace: root-link/tmp/lightning-escaped.txt');
      expect(list).toBe('error: path escapes the workspace: root-link');
      expect(existsSync('/tmp/lightning-escaped.txt')).toBe(false);
    } finally {
      model.setBehavior({ type: 'echo' });
    }
  });
});
