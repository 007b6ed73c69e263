import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { AgentConfig, McpServerSettings } from '../../src/config/types.js';
import type { TaskProgress, WorkerOutcome } from '../../src/protocol/task.js';
import { McpServers } from '../../src/worker/mcp/servers.js';
import { TOOL_NAME_MAX, namespacedToolName } from '../../src/worker/mcp/tool-names.js';
import { clipBytes } from '../../src/worker/mcp/tool-result.js';
import { runModelTask } from '../../src/worker/model/runner.js';
import type { ModelTaskOptions } from '../../src/worker/model/runner.js';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** @modelcontextprotocol/server-everything, the reference server of the MCP project, over stdio. */
const EVERYTHING: McpServerSettings = {
  transport: 'stdio',
  command: [process.execPath, path.join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'), 'stdio'],
  env: {},
  approval: false,
};
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'lightning-mcp-'));
let model: OpenAiTestServer;
const pools: McpServers[] = [];

beforeAll(async () => {
  model = await startOpenAiTestServer();
});
afterEach(() => {
  model.requests.length = 0;
});
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
  await model.close();
  fs.rmSync(base, { recursive: true, force: true });
});

function agent(mcp: Record<string, McpServerSettings>): AgentConfig {
  return {
    name: 'helper', port: 0, instances: 1, description: 'helps', capabilities: ['help'],
    examples: [], fallback: false, prompt: null, command: null, url: null, tokenEnv: null, env: {}, cwd: base, model: 'test-model',
    provider: { baseURL: null, apiKeyEnv: 'OPENAI_API_KEY' },
    health: { path: '/health', intervalMs: 1000, timeoutMs: 500, failureThreshold: 3, startTimeoutMs: 30000 },
    restart: { policy: 'always', initialDelayMs: 1000, factor: 2, maxDelayMs: 30000, resetAfterMs: 60000, minUptimeMs: 1000, maxRestarts: 6 },
    stop: { graceMs: 5000 }, task: { timeoutMs: 120000, retries: 2, queueTimeoutMs: 30000, budget: { tokens: null, cost: null, timeMs: null }, approvalTimeoutMs: 600000 }, tools: { shell: false, approval: [], mcp }, capacity: 4,
  };
}

function pool(servers: Record<string, McpServerSettings>, env: NodeJS.ProcessEnv = {}): McpServers {
  const created = new McpServers(servers, { env, cwd: base, log: () => undefined, startTimeoutMs: 20_000 });
  pools.push(created);
  return created;
}

let counter = 0;
async function run(input: string, mcp: McpServers, approve?: ModelTaskOptions['approve']): Promise<{ outcome: WorkerOutcome; progress: TaskProgress[] }> {
  const progress: TaskProgress[] = [];
  const outcome = await runModelTask({
    taskId: `t${++counter}`, input, agent: agent({}), workspace: path.join(base, `t${counter}`), signal: new AbortController().signal,
    onProgress: (p) => progress.push(p), env: { OPENAI_BASE_URL: model.url, OPENAI_API_KEY: 'sk-test' }, maxRetries: 0, mcp,
    ...(approve ? { approve } : {}),
  });
  return { outcome, progress };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('MCP tools in the tool loop (server-everything over stdio)', () => {
  it('offers the server\'s tools as server__tool and hands the result back to the model', async () => {
    const servers = pool({ everything: EVERYTHING });
    const { outcome, progress } = await run('Please call tool everything__echo with {"message": "hello from lightning"}', servers);
    expect(outcome.status).toBe('completed');
    expect(outcome.output).toContain('everything__echo returned: Echo: hello from lightning');
    const offered = (model.requests[0]!.tools as Array<{ function: { name: string; parameters: { type: string } } }>).map((tool) => tool.function);
    expect(offered.map((tool) => tool.name)).toEqual(expect.arrayContaining(['read_file', 'everything__echo', 'everything__get-sum']));
    for (const tool of offered) {
      expect(tool.name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
      expect(tool.parameters.type).toBe('object');
    }
    expect(progress).toEqual(expect.arrayContaining([
      { kind: 'tool-call', tool: 'everything__echo', args: '{"message": "hello from lightning"}' },
      expect.objectContaining({ kind: 'tool-result', tool: 'everything__echo', ok: true }),
    ]));
    expect(servers.servers[0]!.starts).toBe(1);
  });

  it('hands back structured content, and a tool\'s error as an error', async () => {
    const servers = pool({ everything: EVERYTHING });
    const structured = await run('call tool everything__get-structured-content with {"location": "Chicago"}', servers);
    expect(structured.outcome.output).toContain('everything__get-structured-content returned:');
    expect(structured.outcome.output).toContain('"temperature":36');
    const bad = await run('call tool everything__get-sum with {"a": "not a number"}', servers);
    expect(bad.outcome.status).toBe('completed');
    expect(bad.outcome.output).toMatch(/everything__get-sum failed: error: /);
    expect(bad.progress).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'tool-result', tool: 'everything__get-sum', ok: false })]));
  });

  it('asks before a tool that needs approval: approved runs it, denied returns the note, nobody to ask denies', async () => {
    const servers = pool({ everything: { ...EVERYTHING, approval: ['echo'] } });
    const asked: Array<{ tool: string; args: string }> = [];
    const approved = await run('call tool everything__echo with {"message": "x"}', servers, async (call) => {
      asked.push(call);
      return { verdict: 'approved', note: null };
    });
    expect(asked).toEqual([{ tool: 'everything__echo', args: '{"message": "x"}' }]);
    expect(approved.outcome.output).toContain('everything__echo returned: Echo: x');
    const denied = await run('call tool everything__echo with {"message": "y"}', servers, async () => ({ verdict: 'denied', note: 'not today' }));
    expect(denied.outcome.output).toContain('everything__echo failed: error: denied by a person: not today; the call was not made');
    const nobody = await run('call tool everything__echo with {"message": "z"}', servers);
    expect(nobody.outcome.output).toContain("everything__echo failed: error: everything__echo needs a person's approval, and no one can be asked for this task");
    // A tool of the same server not on the list is not asked about.
    const other = await run('call tool everything__get-sum with {"a": 2, "b": 3}', servers, async () => {
      throw new Error('must not be asked');
    });
    expect(other.outcome.output).toContain('everything__get-sum returned: The sum of 2 and 3 is 5.');
  });

  it('starts a server again after it died, and ends it on close', async () => {
    const servers = pool({ everything: EVERYTHING });
    await run('call tool everything__echo with {"message": "one"}', servers);
    const first = servers.servers[0]!.pid!;
    expect(alive(first)).toBe(true);
    process.kill(first, 'SIGKILL');
    await waitUntil(() => servers.servers[0]!.pid === null);
    const again = await run('call tool everything__echo with {"message": "two"}', servers);
    expect(again.outcome.output).toContain('Echo: two');
    const second = servers.servers[0]!.pid!;
    expect(second).not.toBe(first);
    expect(servers.servers[0]!.starts).toBe(2);
    await servers.close();
    await waitUntil(() => !alive(second));
  });

  it('a server that does not start leaves its tools out; the task still runs', async () => {
    const servers = pool({
      broken: { transport: 'stdio', command: ['/nonexistent/mcp-server'], env: {}, approval: false },
      secret: { ...EVERYTHING, env: { API_TOKEN: '${MCP_TEST_TOKEN_UNSET}' } },
    });
    const set = await servers.toolSet();
    expect(set.definitions).toEqual([]);
    expect(set.unavailable).toEqual([
      { server: 'broken', error: 'cannot start "/nonexistent/mcp-server": not found (is it installed and on PATH?)' },
      { server: 'secret', error: "env.API_TOKEN of MCP server secret uses ${MCP_TEST_TOKEN_UNSET}, which is not set in the worker's environment" },
    ]);
    const { outcome } = await run('Translate hello', servers);
    expect(outcome).toMatchObject({ status: 'completed' });
  });
});

describe('MCP over HTTP: headers from the environment', () => {
  it('sends ${NAME} headers filled from the worker\'s environment, and names no value when refused', async () => {
    const seen: Array<string | undefined> = [];
    const server = http.createServer((request, response) => {
      seen.push(request.headers.authorization);
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
    try {
      const servers = pool({ docs: { transport: 'http', url, headers: { Authorization: 'Bearer ${DOCS_TOKEN}' }, approval: false } }, { DOCS_TOKEN: 'tok-very-secret' });
      const set = await servers.toolSet();
      expect(seen[0]).toBe('Bearer tok-very-secret');
      expect(set.unavailable).toHaveLength(1);
      expect(set.unavailable[0]!.error).not.toContain('tok-very-secret');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('MCP tool names and output', () => {
  it('keeps names within OpenAI\'s charset and length, unique', () => {
    expect(namespacedToolName('docs', 'search', new Set())).toBe('docs__search');
    expect(namespacedToolName('docs', 'files.read/v2', new Set())).toBe('docs__files_read_v2');
    const long = namespacedToolName('a_server_name_of_thirty_chars_', 'x'.repeat(80), new Set());
    expect(long.length).toBeLessThanOrEqual(TOOL_NAME_MAX);
    expect(long).toMatch(/^a_server_name_of_thirty_chars___x+_[0-9a-f]{8}$/);
    const taken = new Set(['docs__a_b']);
    const second = namespacedToolName('docs', 'a.b', taken);
    expect(second).not.toBe('docs__a_b');
    expect(second).toMatch(/^docs__a_b_[0-9a-f]{8}$/);
  });

  it('cuts output at the limit on a character boundary', () => {
    expect(clipBytes('short', 10)).toBe('short');
    const clipped = clipBytes('é'.repeat(40_000), 64 * 1024);
    expect(clipped).toMatch(/^é+\n… \(output truncated at 64 KiB\)$/);
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
