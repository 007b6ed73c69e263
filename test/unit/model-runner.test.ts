import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AgentConfig } from '../../src/config/types.js';
import type { TaskProgress, WorkerOutcome } from '../../src/protocol/task.js';
import { TOOL_CALL_JSON_NUDGE, runModelTask } from '../../src/worker/model/runner.js';
import type { ModelTaskOptions } from '../../src/worker/model/runner.js';
import { LLAMA_TOOL_PARSE_ERROR, startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';

const API_KEY = 'sk-test-super-secret-0123456789';
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'lightning-runner-'));
const promptFile = path.join(base, 'web_developer.md');
fs.writeFileSync(promptFile, 'You are the web developer.\nBuild good things.\n');
let server: OpenAiTestServer;

beforeAll(async () => {
  server = await startOpenAiTestServer();
});
afterEach(() => {
  server.setBehavior({ type: 'echo' });
  server.requests.length = 0;
});
afterAll(async () => {
  await server.close();
  fs.rmSync(base, { recursive: true, force: true });
});

function agent(overrides: Partial<AgentConfig> = {}): AgentConfig {
  return {
    name: 'web_developer', port: 0, instances: 1, description: 'Builds web front ends', capabilities: ['html'],
    examples: [], fallback: false, prompt: promptFile, command: null, url: null, tokenEnv: null, env: {}, cwd: base, model: 'test-model',
    provider: { baseURL: null, apiKeyEnv: 'OPENAI_API_KEY' },
    health: { path: '/health', intervalMs: 1000, timeoutMs: 500, failureThreshold: 3, startTimeoutMs: 30000 },
    restart: { policy: 'always', initialDelayMs: 1000, factor: 2, maxDelayMs: 30000, resetAfterMs: 60000, minUptimeMs: 1000, maxRestarts: 6 },
    stop: { graceMs: 5000 }, task: { timeoutMs: 120000, retries: 2, queueTimeoutMs: 30000, budget: { tokens: null, cost: null, timeMs: null }, approvalTimeoutMs: 600000 }, tools: { shell: false, approval: [], mcp: {} }, capacity: 4,
    ...overrides,
  };
}

let taskCounter = 0;
/** Runs a task against the test server (via OPENAI_BASE_URL unless env says otherwise). */
async function run(input: string, extra: Partial<ModelTaskOptions> = {}): Promise<{ outcome: WorkerOutcome; progress: TaskProgress[]; workspace: string }> {
  const progress: TaskProgress[] = [];
  const workspace = path.join(base, 'workspaces', `task-${++taskCounter}`);
  const outcome = await runModelTask({
    taskId: `task-${taskCounter}`, input, agent: agent(), workspace, signal: new AbortController().signal,
    onProgress: (p) => progress.push(p), env: { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: API_KEY }, ...extra,
  });
  expect(JSON.stringify(outcome)).not.toContain(API_KEY);
  expect(JSON.stringify(progress)).not.toContain(API_KEY);
  return { outcome, progress, workspace };
}

/** A port nothing listens on: bind one, then free it. */
async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const toolMessages = (s: OpenAiTestServer): string[] =>
  s.requests.flatMap((r) => r.messages).filter((m) => m.role === 'tool').map((m) => String(m.content));

describe('runModelTask', () => {
  it('completes a plain task with streamed output and usage', async () => {
    const { outcome, progress } = await run('Build a landing page');
    expect(outcome).toMatchObject({ status: 'completed', error: null, files: [], output: 'Handled by You are the web developer.: Build a landing page' });
    expect(outcome.usage).toEqual({ promptTokens: expect.any(Number), completionTokens: expect.any(Number), totalTokens: expect.any(Number) });
    expect(outcome.usage!.totalTokens).toBe(outcome.usage!.promptTokens + outcome.usage!.completionTokens);
    expect(progress[0]).toEqual({ kind: 'step', step: 1 });
    const deltas = progress.filter((p) => p.kind === 'delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((p) => (p.kind === 'delta' ? p.text : '')).join('')).toBe(outcome.output);
    const request = server.requests[0]!;
    expect(request).toMatchObject({ model: 'test-model', stream: true, authorization: `Bearer ${API_KEY}` });
    expect(request.messages[0]!.content).toMatch(/^You are the web developer\.\nBuild good things\.\n\n.*list_files, read_file, write_file/s);
    expect((request.tools ?? []).map((t) => (t as { function: { name: string } }).function.name)).toEqual(['list_files', 'read_file', 'write_file']);
  });

  it('runs the tool loop: a write-a-file instruction leaves the file in the workspace', async () => {
    const { outcome, progress, workspace } = await run('Please write a file named notes/hello.txt containing "Hello, lightning!"');
    expect(outcome.status).toBe('completed');
    expect(fs.readFileSync(path.join(workspace, 'notes/hello.txt'), 'utf8')).toBe('Hello, lightning!');
    expect(outcome.files).toEqual(['notes/hello.txt']);
    expect(outcome.output).toContain('wrote notes/hello.txt');
    expect(progress).toContainEqual({ kind: 'tool-call', tool: 'write_file', args: JSON.stringify({ path: 'notes/hello.txt', content: 'Hello, lightning!' }) });
    expect(progress).toContainEqual({ kind: 'tool-result', tool: 'write_file', ok: true, summary: 'wrote 17 bytes to notes/hello.txt' });
    expect(progress.filter((p) => p.kind === 'step')).toEqual([{ kind: 'step', step: 1 }, { kind: 'step', step: 2 }]);
    expect(server.requests).toHaveLength(2);
    expect(outcome.usage!.promptTokens).toBeGreaterThan(0);
  });

  it('refuses paths that escape the workspace and tells the model so', async () => {
    const outside = fs.mkdtempSync(path.join(base, 'outside-'));
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret');
    const workspace = path.join(base, 'workspaces', 'escape');
    fs.mkdirSync(workspace, { recursive: true });
    fs.symlinkSync(outside, path.join(workspace, 'link'));
    server.setBehavior({ type: 'scripted', responses: [
      { toolCalls: [
        { name: 'read_file', arguments: { path: '../../etc/passwd' } },
        { name: 'read_file', arguments: { path: '/etc/passwd' } },
        { name: 'read_file', arguments: { path: 'link/secret.txt' } },
        { name: 'write_file', arguments: { path: 'link/pwned.txt', content: 'x' } },
        { name: 'write_file', arguments: '{"path": "broken' },
      ] },
      { content: 'I could not reach those files.' },
    ] });
    const { outcome, progress } = await run('read the password file', { workspace });
    expect(outcome).toMatchObject({ status: 'completed', output: 'I could not reach those files.', files: [] });
    const results = toolMessages(server);
    expect(results).toEqual([
      'error: path escapes the workspace: ../../etc/passwd',
      'error: path escapes the workspace: /etc/passwd',
      'error: path escapes the workspace: link/secret.txt',
      'error: path escapes the workspace: link/pwned.txt',
      expect.stringMatching(/^error: invalid JSON arguments for write_file: /),
    ]);
    // Every tool message answers its call by id.
    const second = server.requests[1]!.messages;
    const ids = (second.find((m) => m.role === 'assistant')!.tool_calls as Array<{ id: string }>).map((c) => c.id);
    expect(second.filter((m) => m.role === 'tool').map((m) => m.tool_call_id)).toEqual(ids);
    expect(progress.filter((p) => p.kind === 'tool-result').every((p) => p.kind === 'tool-result' && !p.ok)).toBe(true);
    expect(fs.readdirSync(outside)).toEqual(['secret.txt']);
  });

  it('sends a tool call whose arguments are not JSON back as {}: llama-server refuses the whole conversation otherwise', async () => {
    server.setBehavior({ type: 'scripted', responses: [
      { toolCalls: [{ name: 'write_file', arguments: '{"path": "a.txt", "content": "cut off' }] },
      { content: 'Done.' },
    ] });
    const { outcome, progress } = await run('write something');
    expect(outcome).toMatchObject({ status: 'completed', output: 'Done.', files: [] });
    // What the model said is still what the user sees; only the conversation sent back is repaired.
    expect(progress).toContainEqual({ kind: 'tool-call', tool: 'write_file', args: '{"path": "a.txt", "content": "cut off' });
    const assistant = server.requests[1]!.messages.find((m) => m.role === 'assistant')!;
    expect((assistant.tool_calls as Array<{ function: { arguments: string } }>)[0]!.function.arguments).toBe('{}');
    expect(toolMessages(server)).toEqual([expect.stringMatching(/^error: invalid JSON arguments for write_file: /)]);
  });

  it('retries a tool-call parse failure (llama-server HTTP 500) once, without streaming and with a nudge, and the task completes', async () => {
    server.setBehavior({ type: 'tool-parse-failure', times: 1, then: { type: 'scripted', responses: [
      { toolCalls: [{ name: 'write_file', arguments: { path: 'out.txt', content: 'ok' } }] },
      { content: 'Wrote out.txt.' },
    ] } });
    const { outcome, progress } = await run('Write ok to out.txt');
    expect(outcome).toMatchObject({ status: 'completed', output: 'Wrote out.txt.', files: ['out.txt'] });
    // The 500 is not retried by the SDK as an outage (maxRetries is 2 here): one refusal, one retry, then the tool loop.
    expect(server.requests.map((r) => r.stream)).toEqual([true, false, true]);
    const retried = server.requests[1]!.messages;
    expect(retried[retried.length - 1]).toEqual({ role: 'user', content: TOOL_CALL_JSON_NUDGE });
    const retries = progress.filter((p) => p.kind === 'retry');
    expect(retries).toEqual([{ kind: 'retry', reason: expect.stringContaining(LLAMA_TOOL_PARSE_ERROR) }]);
    expect(progress).toContainEqual({ kind: 'tool-call', tool: 'write_file', args: JSON.stringify({ path: 'out.txt', content: 'ok' }) });
  });

  it('reports a tool-call parse failure that the retry meets again as the model\'s failure, naming the server\'s words', async () => {
    server.setBehavior({ type: 'tool-parse-failure', times: 2, then: { type: 'echo' } });
    const { outcome } = await run('hi');
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toContain(`model test-model at ${server.url} produced tool-call arguments the server cannot parse as JSON (HTTP 500: ${LLAMA_TOOL_PARSE_ERROR}:`);
    expect(outcome.error).toContain('retried once without streaming');
    expect(outcome.error).toContain('not the endpoint');
    expect(outcome.failure).toBeUndefined();
    expect(server.requests).toHaveLength(2);
  });

  it('fails with configuration advice when no endpoint is configured', async () => {
    const { outcome } = await run('hello', { env: { PATH: process.env.PATH } });
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toBe(
      'no model endpoint configured for web_developer: set OPENAI_API_KEY to use OpenAI, or OPENAI_BASE_URL for a local server — ' +
      'Ollama http://localhost:11434/v1, vLLM http://localhost:8000/v1, llama.cpp http://localhost:8080/v1, ' +
      'LM Studio http://localhost:1234/v1 (or provider.baseURL in agents.yaml)');
    expect(server.requests).toHaveLength(0);
  });

  it('uses provider.baseURL without a key (local servers need none)', async () => {
    const { outcome } = await run('hi', { agent: agent({ provider: { baseURL: server.url + '/', apiKeyEnv: 'LOCAL_KEY' } }), env: {} });
    expect(outcome.status).toBe('completed');
    expect(server.requests[0]!.authorization).toBe('Bearer not-needed');
  });

  it('maps 401 to a rejected-key message without the key', async () => {
    server.setBehavior({ type: 'status', status: 401, message: `Incorrect API key provided: ${API_KEY}` });
    const { outcome } = await run('hi');
    expect(outcome).toMatchObject({ status: 'failed', error: `API key rejected by ${server.url} (HTTP 401) — check OPENAI_API_KEY` });
    expect(server.requests).toHaveLength(1); // 401 is not retried
  });

  it('names the URL when the endpoint refuses connections', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/v1`;
    const { outcome } = await run('hi', { env: { OPENAI_BASE_URL: url, OPENAI_API_KEY: API_KEY }, maxRetries: 0 });
    expect(outcome).toMatchObject({ status: 'failed', error: `cannot reach the model endpoint ${url}: connection refused` });
  });

  it('reports HTTP 500 after the SDK retries, echoing no key', async () => {
    server.setBehavior({ type: 'status', status: 500, message: `overloaded (key ${API_KEY})` });
    const { outcome } = await run('hi');
    expect(outcome).toMatchObject({ status: 'failed', error: `model endpoint ${server.url} answered HTTP 500 after 3 tries: overloaded (key ***)` });
    expect(server.requests).toHaveLength(3);
  });

  it('reports 429 and a missing model by name', async () => {
    server.setBehavior({ type: 'status', status: 429, message: 'slow down' });
    expect((await run('hi', { maxRetries: 1 })).outcome.error).toBe(`model endpoint ${server.url} answered HTTP 429 after 2 tries: slow down`);
    server.setBehavior({ type: 'status', status: 404, message: 'model "test-model" not found' });
    expect((await run('hi')).outcome.error).toMatch(new RegExp(`^model "test-model" not found at ${server.url} \\(HTTP 404\\)`));
  });

  it('fails honestly on a body that is not JSON', async () => {
    server.setBehavior({ type: 'invalid-json' });
    // The SDK logs the unparsable chunk itself (to the worker's log in production); keep tests quiet.
    const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const { outcome } = await run('hi');
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toMatch(new RegExp(`^model endpoint ${server.url} sent a response that is not valid JSON \\(is it OpenAI-compatible\\?\\): `));
    } finally {
      quiet.mockRestore();
    }
  });

  it('cancels mid-stream: the HTTP request is aborted and the server sees it close', async () => {
    server.setBehavior({ type: 'slow', tokens: 200, intervalMs: 20 });
    const controller = new AbortController();
    const progress: TaskProgress[] = [];
    const started = Date.now();
    const pending = runModelTask({
      taskId: 'slow', input: 'count slowly', agent: agent(), workspace: path.join(base, 'workspaces', 'slow'), signal: controller.signal,
      onProgress: (p) => {
        progress.push(p);
        if (p.kind === 'delta' && p.text.trim() && !controller.signal.aborted) setTimeout(() => controller.abort(), 60);
      },
      env: { OPENAI_BASE_URL: server.url },
    });
    const outcome = await pending;
    expect(outcome.status).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(2000);
    for (let i = 0; i < 100 && !server.requests[0]!.disconnected; i++) await new Promise((r) => setTimeout(r, 10));
    expect(server.requests[0]!.disconnected).toBe(true);
  });

  it('returns cancelled at once for an already aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    expect((await run('hi', { signal: controller.signal })).outcome.status).toBe('cancelled');
    expect(server.requests).toHaveLength(0);
  });

  it('stops at the step limit when the model never stops calling tools', async () => {
    server.setBehavior({ type: 'scripted', repeatLast: true, responses: [{ toolCalls: [{ name: 'list_files', arguments: {} }] }] });
    const { outcome, progress } = await run('loop forever', { maxSteps: 3 });
    expect(outcome).toMatchObject({ status: 'failed', error: 'step limit (3) reached without a final answer' });
    expect(server.requests).toHaveLength(3);
    expect(progress.filter((p) => p.kind === 'step')).toHaveLength(3);
    expect((await run('loop forever')).outcome.error).toBe('step limit (12) reached without a final answer');
  });

  it('fails clearly when the prompt file is missing', async () => {
    const { outcome } = await run('hi', { agent: agent({ prompt: path.join(base, 'missing.md') }) });
    expect(outcome.error).toMatch(/^cannot read the system prompt of web_developer \(.*missing\.md\): ENOENT/);
  });
});
