import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
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

describe('security checks', () => {
  let model: OpenAiTestServer;
  let dir: string;

  beforeAll(async () => {
    model = await startOpenAiTestServer();
    const yaml = readFileSync(path.join(ROOT, 'agents.yaml'), 'utf8').replace(/port: \d+/g, 'port: 0').replace('baseURL: null', `baseURL: "${model.url}"`);
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
    const { api } = JSON.parse(readFileSync(file, 'utf8')) as { api: string };
    for (const [method, route] of [['GET', '/v1/agents'], ['GET', '/v1/tasks'], ['POST', '/v1/tasks'], ['POST', '/v1/shutdown'], ['GET', '/v1/events'], ['POST', '/v1/route']] as const) {
      expect((await fetch(`${api}${route}`, { method })).status).toBe(401);
    }
    const worker = (await apiStatus(dir)).agents[0]!;
    const rpc = await fetch(`http://127.0.0.1:${worker.port}/a2a/jsonrpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(rpc.status).toBe(401);
  });
});
