import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkspaceTools } from '../../src/worker/model/tools.js';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { apiStatus, cli, makeProject, teardown, testAgentYaml, upSingleAgent } from '../helpers/fleet.js';

/**
 * The bad-input catalogue: every way a user, a client or an agent can get input wrong, each with
 * the exit code or HTTP status it must get and a fragment of the message that says what to fix.
 * One supervisor serves all cases; after each, it must still answer /healthz and its ledger must
 * hold every line it held before, all parseable. Related cases elsewhere: config-errors.test.ts
 * and unit/config.test.ts (config positions), task-api.test.ts, worker-protocol.test.ts,
 * unit/tools.test.ts, security.test.ts (tokens on every route).
 */
interface Outcome {
  /** Exit code (CLI), HTTP status (APIs), or 0 = done / 1 = refused (workspace tools). */
  code: number;
  /** Where the message is: stderr, the response body, the tool result. */
  text: string;
}
interface Case {
  kind: 'config' | 'cli' | 'api' | 'worker' | 'tools' | 'runtime';
  name: string;
  expect: number;
  says: string | RegExp;
  run(): Promise<Outcome>;
}

let model: OpenAiTestServer;
let dir: string;
let api: { api: string; token: string };
let worker: { url: string; token: string };
let finishedTask: string;
const extraDirs: string[] = [];

const ledgerText = () => (fs.existsSync(path.join(dir, '.lightning/ledger.jsonl')) ? fs.readFileSync(path.join(dir, '.lightning/ledger.jsonl'), 'utf8') : '');

const AGENT = (extra = '') => `version: 1
supervisor: { port: 0 }
agents:
  general_assistant:
    port: 0
    description: generalist
    prompt: templates/prompts/general_assistant.md
${extra}`;

/** `lightning up` (foreground: it validates before it starts anything) on a fresh project. */
const config = (name: string, yaml: string, says: string | RegExp): Case => ({
  kind: 'config', name, expect: 2, says,
  run: async () => {
    const project = makeProject(yaml);
    extraDirs.push(project);
    const result = await cli(project, ['up'], { timeoutMs: 15_000 });
    return { code: result.exitCode, text: result.stderr };
  },
});

const command = (name: string, args: () => string[], exit: number, says: string | RegExp): Case => ({
  kind: 'cli', name, expect: exit, says,
  run: async () => {
    const result = await cli(dir, args());
    return { code: result.exitCode, text: result.stderr };
  },
});

type Request = { method?: string; path: string | (() => string); body?: string; type?: string; auth?: string | null };
async function send(base: string, token: string, request: Request): Promise<Outcome> {
  const headers: Record<string, string> = {};
  if (request.auth !== null) headers.authorization = request.auth ?? `Bearer ${token}`;
  if (request.body !== undefined) headers['content-type'] = request.type ?? 'application/json';
  const target = typeof request.path === 'function' ? request.path() : request.path;
  const response = await fetch(`${base}${target}`, { method: request.method ?? 'GET', headers, ...(request.body !== undefined ? { body: request.body } : {}) });
  return { code: response.status, text: await response.text() };
}
const control = (name: string, request: Request, status: number, says: string | RegExp): Case => ({
  kind: 'api', name, expect: status, says, run: () => send(api.api, api.token, request),
});
const rpc = (name: string, request: Omit<Request, 'path'>, status: number, says: string | RegExp): Case => ({
  kind: 'worker', name, expect: status, says, run: () => send(worker.url, worker.token, { method: 'POST', ...request, path: '/a2a/jsonrpc' }),
});

/** The workspace tools on their own (unit level): a refusal is a result for the model, code 1. */
const tool = (name: string, call: string, args: (outside: string) => Record<string, unknown> | string, says: string | RegExp): Case => ({
  kind: 'tools', name, expect: 1, says,
  run: async () => {
    const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'lightning-badtools-')));
    extraDirs.push(base);
    const outside = path.join(base, 'outside');
    fs.mkdirSync(path.join(base, 'ws'));
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret');
    fs.symlinkSync(outside, path.join(base, 'ws', 'link'));
    const raw = args(outside);
    const result = await new WorkspaceTools(path.join(base, 'ws'), { shell: false }).run(call, typeof raw === 'string' ? raw : JSON.stringify(raw));
    return { code: result.ok ? 0 : 1, text: result.content };
  },
});

const bigJson = (bytes: number) => JSON.stringify({ input: 'x'.repeat(bytes) });
const rpcCall = (method: string, params: unknown) => JSON.stringify({ jsonrpc: '2.0', id: 1, method, params });

const cases: Case[] = [
  // agents.yaml (positions and the full list: config-errors.test.ts, unit/config.test.ts)
  config('YAML syntax error', 'version: 1\nagents:\n  a: [unclosed\n', /agents\.yaml:4:1: YAML syntax error/),
  config('empty file', '', 'the config file is empty'),
  config('wrong version', AGENT().replace('version: 1', 'version: 2'), 'version must be 1, got 2'),
  config('unknown key, with a suggestion', AGENT('    capabilites: [x]\n'), /unknown key "capabilites".*did you mean "capabilities"/),
  config('a key twice', AGENT('    description: again\n'), 'Map keys must be unique'),
  config('port not a number', AGENT().replace('port: 0', 'port: "abc"'), 'port must be an integer from 0 to 65535, got "abc"'),
  config('bad duration', AGENT('    health: { interval: 5 parsecs }\n'), 'bad duration "5 parsecs"'),
  config('duration without a unit', AGENT('    task: { timeout: 120 }\n'), /agents\.yaml:8:22: agents\.general_assistant\.task\.timeout: duration 120 has no unit — did you mean 120s\?/),
  config('empty command', AGENT('  other:\n    port: 0\n    command: []\n'), 'agents.other.command: empty list'),
  config('missing prompt file', AGENT().replace('general_assistant.md', 'nope.md'), 'nope.md'),
  // command-line arguments
  command('unknown command', () => ['frobnicate'], 2, "unknown command 'frobnicate'"),
  command('unknown option', () => ['status', '--bogus'], 2, "unknown option '--bogus'"),
  command('missing argument', () => ['run'], 2, "missing required argument 'task'"),
  command('-c naming a missing file', () => ['-c', 'nope.yaml', 'status'], 2, 'config file not found'),
  command('--home naming a file', () => ['--home', path.join(dir, 'agents.yaml'), 'up', '-d'], 2, /state directory .* cannot be created: a file is in the way/),
  command('bad --timeout for up (fleet already running)', () => ['up', '-d', '--timeout', 'soon'], 2, '--timeout: bad duration "soon"'),
  command('bare number --timeout for up', () => ['up', '-d', '--timeout', '60'], 2, '--timeout: duration "60" has no unit — did you mean 60s?'),
  command('bad --timeout for run', () => ['run', '--timeout', 'soon', 'hello'], 2, '--timeout: bad duration "soon"'),
  command('bare number --timeout for run', () => ['run', '--timeout', '3', 'hello'], 2, '--timeout: duration "3" has no unit — did you mean 3s?'),
  command('zero --timeout for run', () => ['run', '--timeout', '0s', 'hello'], 2, 'bad --timeout: "0s" is no time at all'),
  command('empty task', () => ['run', ''], 2, 'the task is empty'),
  command('run --agent unknown', () => ['run', '--agent', 'nobody', 'hello'], 2, 'unknown agent "nobody"; known agents: general_assistant'),
  command('bad -n for logs', () => ['logs', 'general_assistant', '-n', 'many'], 2, 'bad -n "many"'),
  command('bad -n for tasks', () => ['tasks', '-n', '0'], 2, 'bad -n "0"'),
  command('bad --status for tasks', () => ['tasks', '--status', 'bogus'], 2, 'bad --status "bogus"'),
  command('bad --since for stats', () => ['stats', '--since', 'forever'], 2, '--since: bad duration "forever"'),
  command('logs of an unknown agent', () => ['logs', 'nobody'], 2, 'unknown agent "nobody"'),
  command('log name ../../etc/passwd', () => ['logs', '../../etc/passwd'], 2, 'unknown agent "../../etc/passwd"'),
  command('log instance out of range', () => ['logs', 'general_assistant/99'], 2, /has 1 instance\(s\): use general_assistant or general_assistant\/0 \(there is no \/99\)/),
  command('feedback with a bad rating', () => ['feedback', finishedTask, 'meh'], 2, 'rating must be "good" or "bad", not "meh"'),
  command('feedback on an unknown task', () => ['feedback', 'no-such-task', 'good'], 1, 'no task with id no-such-task'),
  command('task with an unknown id', () => ['task', 'no-such-task'], 1, 'no task with id no-such-task'),
  command('cancel a task that has ended', () => ['cancel', finishedTask], 1, 'has already ended'),
  command('route to an unknown agent', () => ['route', '--agent', 'nobody', 'hello'], 2, 'unknown agent "nobody"'),
  // control API
  control('malformed JSON', { method: 'POST', path: '/v1/tasks', body: '{"input": ' }, 400, 'malformed_json'),
  control('a body that is JSON null', { method: 'POST', path: '/v1/tasks', body: 'null' }, 400, 'bad_body'),
  control('input of the wrong type', { method: 'POST', path: '/v1/tasks', body: '{"input": 42}' }, 400, 'missing_input'),
  control('wait of the wrong type', { method: 'POST', path: '/v1/tasks', body: '{"input": "x", "wait": "yes"}' }, 400, 'bad_wait'),
  control('timeoutMs of the wrong type', { method: 'POST', path: '/v1/tasks', body: '{"input": "x", "timeoutMs": "10"}' }, 400, 'bad_timeout'),
  control('agent of the wrong type', { method: 'POST', path: '/v1/tasks', body: '{"input": "x", "agent": 5}' }, 400, 'bad_agent'),
  control('unknown agent', { method: 'POST', path: '/v1/tasks', body: '{"input": "x", "agent": "nobody"}' }, 400, 'unknown agent \\"nobody\\"'),
  control('a body over 1 MiB', { method: 'POST', path: '/v1/tasks', body: bigJson(1024 * 1024 + 10) }, 413, 'body_too_large'),
  control('not JSON content', { method: 'POST', path: '/v1/tasks', body: 'input=x', type: 'text/plain' }, 415, 'content-type: application/json'),
  control('unknown task id', { path: '/v1/tasks/no-such-task' }, 404, 'no task with id no-such-task'),
  control('cancel an unknown task', { method: 'POST', path: '/v1/tasks/no-such-task/cancel' }, 404, 'unknown_task'),
  control('feedback with a bad rating', { method: 'POST', path: () => `/v1/tasks/${finishedTask}/feedback`, body: '{"rating": "meh"}' }, 400, 'bad_rating'),
  control('broken percent-encoding in a task id', { path: '/v1/tasks/%E0%A4%A' }, 400, 'bad_task_id'),
  control('a limit that is not a number', { path: '/v1/tasks?limit=abc' }, 400, 'bad_limit'),
  control('unknown route', { path: '/v1/nope' }, 404, 'no route GET /v1/nope'),
  control('wrong method on /v1/tasks', { method: 'DELETE', path: '/v1/tasks' }, 405, 'use GET or POST'),
  control('wrong method on a task', { method: 'PUT', path: '/v1/tasks/no-such-task' }, 405, 'use GET'),
  control('wrong method on the status route', { method: 'PUT', path: '/v1/agents' }, 405, 'PUT /v1/agents: use GET'),
  control('GET on shutdown (it is a POST)', { path: '/v1/shutdown' }, 405, 'use POST'),
  control('missing token', { path: '/v1/agents', auth: null }, 401, 'missing or wrong bearer token'),
  control('wrong token', { path: '/v1/agents', auth: 'Bearer not-the-token' }, 401, 'missing or wrong bearer token'),
  // worker protocol (the built-in worker, with the token the supervisor gave it)
  rpc('garbage instead of JSON-RPC', { body: '{not json' }, 400, '"code":-32700'),
  rpc('a JSON string instead of a request', { body: '"hello"' }, 400, 'expected a JSON-RPC object'),
  rpc('unknown method', { body: rpcCall('no/such', {}) }, 200, '"code":-32601'),
  rpc('message/send without a message', { body: rpcCall('message/send', { message: 'hi' }) }, 200, '"code":-32602'),
  rpc('wrong content-type', { body: '{}', type: 'text/plain' }, 415, 'content-type must be application/json'),
  rpc('a body over 4 MiB', { body: JSON.stringify({ x: 'x'.repeat(4 * 1024 * 1024 + 10) }) }, 413, 'request body over'),
  rpc('wrong method', { method: 'GET' }, 405, 'use POST /a2a/jsonrpc'),
  rpc('missing token', { body: '{}', auth: null }, 401, 'unauthorized'),
  // tools: paths escaping the workspace
  tool('read ../../etc/passwd', 'read_file', () => ({ path: '../../etc/passwd' }), 'error: path escapes the workspace: ../../etc/passwd'),
  tool('write to an absolute path outside', 'write_file', (outside) => ({ path: path.join(outside, 'x.txt'), content: 'x' }), 'error: path escapes the workspace'),
  tool('read through a symlink pointing outside', 'read_file', () => ({ path: 'link/secret.txt' }), 'error: path escapes the workspace: link/secret.txt'),
  tool('a path with a NUL byte', 'read_file', () => ({ path: 'a\0b' }), 'error: path contains a control character (U+0000) at character 2; use a plain file name'),
  tool('a call without a path', 'read_file', () => ({}), 'error: path must be a non-empty string'),
  tool('arguments that are not JSON', 'write_file', () => '{"path": "a.txt", ', 'error: invalid JSON arguments for write_file'),
  // runtime: a command that does not exist; a model endpoint that answers something else than JSON
  {
    kind: 'runtime', name: 'an agent command that does not exist', expect: 1, says: /ghost#0.*command not found: \/nonexistent\/agent-binary/s,
    run: async () => {
      const project = makeProject(`version: 1\nsupervisor: { port: 0 }\nagents:\n${testAgentYaml('ghost').replace(/command: \[.*\]/, 'command: ["/nonexistent/agent-binary", "--port", "${PORT}"]')}\n`);
      extraDirs.push(project);
      const result = await cli(project, ['up', '-d', '--timeout', '10s']);
      return { code: result.exitCode, text: result.stderr };
    },
  },
  {
    kind: 'runtime', name: 'a model endpoint that sends invalid JSON', expect: 1, says: /not valid JSON \(is it OpenAI-compatible\?\)/,
    run: async () => {
      model.setBehavior({ type: 'invalid-json' });
      try {
        const result = await cli(dir, ['run', '--json', 'hello']);
        return { code: result.exitCode, text: (JSON.parse(result.stdout) as { error: string }).error };
      } finally {
        model.setBehavior({ type: 'echo' });
      }
    },
  },
];

interface Checked {
  outcome: Outcome;
  /** /healthz of the shared supervisor right after the case. */
  healthz: number;
  /** The ledger before the case is a prefix of the ledger after it. */
  ledgerKept: boolean;
  /** Ledger lines that do not parse. */
  badLines: number;
}

/** Runs a case, then checks the shared supervisor still serves and its ledger lost nothing. */
async function check(entry: Case): Promise<Checked> {
  const before = ledgerText();
  const outcome = await entry.run().catch((error: Error) => ({ code: -1, text: `the case itself threw: ${error.stack ?? error.message}` }));
  const healthz = (await fetch(`${api.api}/healthz`)).status;
  const after = ledgerText();
  const badLines = after.split('\n').filter(Boolean).filter((line) => {
    try {
      JSON.parse(line);
      return false;
    } catch {
      return true;
    }
  }).length;
  return { outcome, healthz, ledgerKept: after.startsWith(before), badLines };
}

/**
 * Config and CLI cases are separate processes that change nothing shared (each is refused before
 * it could), so they run a few at a time from the start; their checks run as they finish.
 */
const PROCESS_CASES_AT_ONCE = 4;
const started = new Map<Case, Promise<Checked>>();
function startProcessCases(): void {
  const queue = cases.filter((entry) => entry.kind === 'config' || entry.kind === 'cli');
  const results = new Map(queue.map((entry) => {
    let settle!: (value: Checked) => void;
    const promise = new Promise<Checked>((resolve) => (settle = resolve));
    return [entry, { promise, settle }] as const;
  }));
  const lane = async () => {
    for (let entry = queue.shift(); entry; entry = queue.shift()) results.get(entry)!.settle(await check(entry));
  };
  for (const [entry, { promise }] of results) started.set(entry, promise);
  for (let i = 0; i < PROCESS_CASES_AT_ONCE; i += 1) void lane();
}

describe('bad-input catalogue', () => {
  beforeAll(async () => {
    model = await startOpenAiTestServer();
    const fleet = await upSingleAgent(model.url);
    dir = fleet.dir;
    api = fleet;
    const response = await fetch(`${api.api}/v1/tasks`, { method: 'POST', headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ input: 'Say hello', wait: true }) });
    finishedTask = ((await response.json()) as { id: string }).id;
    // The worker's token is in its environment, where the supervisor put it (Linux /proc).
    const instance = (await apiStatus(dir)).agents[0]!;
    const token = fs.readFileSync(`/proc/${instance.pid}/environ`, 'utf8').split('\0').find((pair) => pair.startsWith('LIGHTNING_TOKEN='))!.slice('LIGHTNING_TOKEN='.length);
    worker = { url: `http://127.0.0.1:${instance.port}`, token };
    startProcessCases();
  });
  afterAll(async () => {
    await Promise.all(started.values());
    for (const project of extraDirs) if (fs.existsSync(path.join(project, 'agents.yaml'))) await teardown(project);
    await teardown(dir);
    await model.close();
  });

  it('has at least 30 cases, across every kind of input', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(new Set(cases.map((entry) => entry.kind)).size).toBe(6);
  });

  it.each(cases.map((entry) => [`${entry.kind}: ${entry.name}`, entry] as const))('%s', async (_title, entry) => {
    const checked = await (started.get(entry) ?? check(entry));
    const says = typeof entry.says === 'string' ? new RegExp(entry.says.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : entry.says;
    expect(checked.outcome).toEqual({ code: entry.expect, text: expect.stringMatching(says) });
    expect({ healthz: checked.healthz, ledgerKept: checked.ledgerKept, badLines: checked.badLines }).toEqual({ healthz: 200, ledgerKept: true, badLines: 0 });
  });
});
