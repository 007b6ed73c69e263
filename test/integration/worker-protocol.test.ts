import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { ROOT, userEnv, waitFor } from '../helpers/fleet.js';
import { findFreePort } from '../../src/supervisor/port-check.js';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The built-in worker on its own (`lightning worker`), spoken to as any A2A client would. */
describe('worker A2A protocol', () => {
  let model: OpenAiTestServer;
  let worker: ResultPromise;
  let base: string;
  const TOKEN = 'test-token-0123456789';
  const rpc = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}/a2a/jsonrpc`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const v03Message = (text: string) => ({ kind: 'message', messageId: `m-${Math.random()}`, role: 'user', parts: [{ kind: 'text', text }] });

  beforeAll(async () => {
    model = await startOpenAiTestServer();
    const port = await findFreePort();
    base = `http://127.0.0.1:${port}`;
    worker = execa(process.execPath, [path.join(ROOT, 'bin/lightning.js'), '-c', path.join(ROOT, 'agents.yaml'), 'worker', '--agent', 'general_assistant', '--port', String(port)], {
      env: userEnv({ LIGHTNING_TOKEN: TOKEN, OPENAI_BASE_URL: model.url, LIGHTNING_WORKSPACES: mkdtempSync(path.join(os.tmpdir(), 'lightning-ws-')) }),
      extendEnv: false,
      reject: false,
    });
    await waitFor('worker health', async () => (await fetch(`${base}/health`).catch(() => null))?.ok, 10_000);
  });
  afterAll(async () => {
    worker.kill('SIGTERM');
    await worker;
    await model.close();
  });

  it('v0.3 message/send (no A2A-Version header) completes with the model answer; tasks/get finds it', async () => {
    const response = await rpc({ jsonrpc: '2.0', id: 1, method: 'message/send', params: { message: v03Message('Say hi') } });
    const body = (await response.json()) as { result: { kind: string; id: string; status: { state: string }; artifacts: Array<{ parts: Array<{ text: string }> }> } };
    expect(body.result.kind).toBe('task');
    expect(body.result.status.state).toBe('completed');
    expect(body.result.artifacts[0]!.parts[0]!.text).toContain('Say hi');
    const got = (await (await rpc({ jsonrpc: '2.0', id: 2, method: 'tasks/get', params: { id: body.result.id } })).json()) as { result: { id: string } };
    expect(got.result.id).toBe(body.result.id);
  });

  it('v0.3 message/stream answers with SSE events ending in a final status', async () => {
    const response = await rpc({ jsonrpc: '2.0', id: 3, method: 'message/stream', params: { message: v03Message('Stream please') } });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    expect(text).toContain('"final":true');
    expect(text).toContain('"state":"completed"');
  });

  it('sends the answer once, in metadata.lightning.outcome, to a caller that asks for outcomeOnly (the supervisor)', async () => {
    const events = async (metadata: unknown) => {
      const message = { ...v03Message('Answer once'), ...(metadata ? { metadata } : {}) };
      const text = await (await rpc({ jsonrpc: '2.0', id: 4, method: 'message/stream', params: { message } })).text();
      return text.split('\n\n').filter((block) => block.startsWith('data: ')).map((block) => JSON.parse(block.slice(6)).result as { kind: string; final?: boolean; status?: { message?: unknown }; metadata?: { lightning?: { outcome?: { status: string; output: string } } } });
    };
    const lean = await events({ lightning: { taskId: 'sup-1', outcomeOnly: true } });
    expect(lean.map((event) => event.kind)).not.toContain('artifact-update');
    const last = lean.at(-1)!;
    expect(last.final).toBe(true);
    expect(last.status?.message).toBeUndefined();
    expect(last.metadata?.lightning?.outcome).toMatchObject({ status: 'completed', output: expect.stringContaining('Answer once') });
    // Anyone else gets the A2A answer: the output artifact and the final status message.
    const full = await events(null);
    expect(full.map((event) => event.kind)).toContain('artifact-update');
    expect(full.at(-1)!.status?.message).toBeDefined();
  });

  it('v1.0 SendMessage with A2A-Version: 1.0', async () => {
    const message = { messageId: 'v1-1', role: 'ROLE_USER', parts: [{ text: 'Version one' }] };
    const response = await rpc({ jsonrpc: '2.0', id: 4, method: 'SendMessage', params: { message } }, { 'A2A-Version': '1.0' });
    const body = (await response.json()) as { result?: { task?: { id: string; status: { state: string } } }; error?: unknown };
    expect(body.error).toBeUndefined();
    expect(body.result?.task?.status.state).toBe('TASK_STATE_COMPLETED');
    const got = (await (await rpc({ jsonrpc: '2.0', id: 5, method: 'GetTask', params: { id: body.result!.task!.id } }, { 'A2A-Version': '1.0' })).json()) as { result?: { id: string } };
    expect(got.result?.id).toBe(body.result!.task!.id);
  });

  it('refuses a missing or wrong token, garbage JSON and an unknown method', async () => {
    const noToken = await fetch(`${base}/a2a/jsonrpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(noToken.status).toBe(401);
    expect((await rpc({}, { authorization: 'Bearer nope' })).status).toBe(401);
    const garbage = await rpc('{not json');
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as { error: { code: number } }).error.code).toBe(-32700);
    const unknown = (await (await rpc({ jsonrpc: '2.0', id: 6, method: 'no/such', params: {} })).json()) as { error: { code: number } };
    expect(unknown.error.code).toBe(-32601);
  });

  it('refuses at once beyond its capacity (8), so the router can go elsewhere', async () => {
    model.setBehavior({ type: 'slow', tokens: 50, intervalMs: 100 });
    const busy = Array.from({ length: 8 }, (_, i) => rpc({ jsonrpc: '2.0', id: 100 + i, method: 'message/stream', params: { message: v03Message(`busy ${i}`) } }));
    await waitFor('8 in flight', async () => ((await (await fetch(`${base}/health`)).json()) as { inflight: number }).inflight === 8, 10_000);
    const started = Date.now();
    const refused = await rpc({ jsonrpc: '2.0', id: 200, method: 'message/send', params: { message: v03Message('one more') } });
    expect(refused.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('at capacity');
    for (const response of await Promise.all(busy)) await response.body?.cancel();
    model.setBehavior({ type: 'echo' });
  });
});
