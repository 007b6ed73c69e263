import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { ROOT, userEnv, waitFor } from '../helpers/fleet.js';
import { findFreePort } from '../../src/supervisor/port-check.js';

interface Hook { headers: http.IncomingHttpHeaders; body: string; answered: number }

/** A real webhook receiver on port 0: records every POST and answers with the next scripted status (then 200). */
async function startWebhook() {
  const received: Hook[] = [];
  const script: number[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const answered = script.shift() ?? 200;
      received.push({ headers: request.headers, body, answered });
      response.writeHead(answered).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    failNext: (...statuses: number[]) => script.push(...statuses),
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

type RpcBody = { result?: any; error?: { code: number; message: string } };

/** The built-in worker's A2A 1.0 surface beyond send/get/cancel: what the public conformance kit checks. */
describe('worker A2A 1.0: routes, errors, ListTasks paging, push notifications', () => {
  let model: OpenAiTestServer;
  let worker: ResultPromise;
  let base: string;
  let webhook: Awaited<ReturnType<typeof startWebhook>>;
  const TOKEN = 'test-token-a2a-v1-0123456789';
  let nextId = 0;
  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'A2A-Version': '1.0', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const call = async (method: string, params: unknown, path = '/a2a/jsonrpc'): Promise<RpcBody> =>
    (await (await post(`${base}${path}`, { jsonrpc: '2.0', id: ++nextId, method, params })).json()) as RpcBody;
  const message = (text: string, extra: Record<string, unknown> = {}) => ({ messageId: `m-${++nextId}`, role: 'ROLE_USER', parts: [{ text }], ...extra });
  const send = async (text: string, extra: Record<string, unknown> = {}, configuration?: unknown) => {
    const body = await call('SendMessage', { message: message(text, extra), ...(configuration ? { configuration } : {}) });
    expect(body.error).toBeUndefined();
    return body.result.task as { id: string; contextId: string; status: { state: string } };
  };

  beforeAll(async () => {
    model = await startOpenAiTestServer();
    webhook = await startWebhook();
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
    await Promise.all([model.close(), webhook.close()]);
  });

  it('serves JSON-RPC with a trailing slash, and answers an unknown route with a JSON-RPC error object', async () => {
    const body = await call('SendMessage', { message: message('Slash please') }, '/a2a/jsonrpc/');
    expect(body.result?.task?.status.state).toBe('TASK_STATE_COMPLETED');
    const card = (await (await fetch(`${base}/.well-known/agent-card.json/`)).json()) as { capabilities: { pushNotifications: boolean } };
    expect(card.capabilities.pushNotifications).toBe(true);
    const missing = await fetch(`${base}/no/such/route`, { method: 'POST' });
    expect(missing.status).toBe(404);
    const error = (await missing.json()) as { jsonrpc: string; error: { code: number; message: string } };
    expect(error.jsonrpc).toBe('2.0');
    expect(error.error.code).toBe(-32601);
    expect(error.error.message).toContain('POST /a2a/jsonrpc');
  });

  it('answers a text/plain body with -32005 ContentTypeNotSupported (HTTP 415), in both protocol versions', async () => {
    for (const version of ['1.0', '0.3']) {
      const response = await post(`${base}/a2a/jsonrpc`, 'x', { 'content-type': 'text/plain', 'A2A-Version': version });
      expect(response.status).toBe(415);
      const body = (await response.json()) as RpcBody;
      expect(body.error?.code).toBe(-32005);
      expect(body.error?.message).toContain('content-type must be application/json');
    }
  });

  it('refuses to subscribe to a task that has ended with UnsupportedOperation (-32004), as JSON rather than a stream', async () => {
    const task = await send('Finish first');
    const response = await post(`${base}/a2a/jsonrpc`, { jsonrpc: '2.0', id: 1, method: 'SubscribeToTask', params: { id: task.id } });
    expect(response.headers.get('content-type')).toContain('application/json');
    const body = (await response.json()) as RpcBody;
    expect(body.error?.code).toBe(-32004);
    expect(body.error?.message).toContain('terminal state');
  });

  it('pages ListTasks with a cursor: every task once, newest first, even when tasks arrive between pages', async () => {
    const contextId = `ctx-${Date.now()}`;
    const sent: string[] = [];
    for (let i = 0; i < 5; i += 1) sent.push((await send(`list ${i}`, { contextId })).id);
    const seen: string[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const body = await call('ListTasks', { contextId, pageSize: 2, pageToken });
      expect(body.error).toBeUndefined();
      expect(body.result.totalSize).toBeGreaterThanOrEqual(5);
      seen.push(...(body.result.tasks as Array<{ id: string }>).map((task) => task.id));
      pageToken = body.result.nextPageToken as string;
      // A task arriving while the client pages must not shift what the next page holds.
      if (pages === 0) await send('arrives meanwhile', { contextId });
      pages += 1;
    } while (pageToken && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...sent].reverse());
    const bad = await call('ListTasks', { pageSize: 2, pageToken: 'not-a-token' });
    expect(bad.error?.code).toBe(-32602);
  });

  it('sets, gets, lists and deletes a task\'s push configs, and refuses a URL that is not http(s)', async () => {
    const task = await send('Configure pushes');
    const created = await call('CreateTaskPushNotificationConfig', { taskId: task.id, id: 'cfg-1', url: webhook.url, token: 'tok-1' });
    expect(created.result).toMatchObject({ id: 'cfg-1', taskId: task.id, url: webhook.url });
    expect((await call('GetTaskPushNotificationConfig', { taskId: task.id, id: 'cfg-1' })).result.url).toBe(webhook.url);
    expect((await call('ListTaskPushNotificationConfigs', { taskId: task.id })).result.configs).toHaveLength(1);
    expect((await call('DeleteTaskPushNotificationConfig', { taskId: task.id, id: 'cfg-1' })).error).toBeUndefined();
    expect((await call('ListTaskPushNotificationConfigs', { taskId: task.id })).result.configs ?? []).toHaveLength(0);
    for (const url of ['file:///etc/passwd', 'ftp://127.0.0.1/x', 'not a url']) {
      const refused = await call('CreateTaskPushNotificationConfig', { taskId: task.id, url });
      expect(refused.error?.code).toBe(-32602);
      expect(refused.error?.message).toContain('http:// or https://');
    }
  });

  it('POSTs the task\'s updates to the webhook with the configured credentials, retrying after a 500', async () => {
    webhook.received.length = 0;
    webhook.failNext(500);
    const withAuth = await send('Push me', {}, { taskPushNotificationConfig: { url: webhook.url, authentication: { scheme: 'Bearer', credentials: 'hook-secret' } } });
    const withToken = await send('Push me too', {}, { taskPushNotificationConfig: { url: webhook.url, token: 'hook-token' } });
    const finalFor = (taskId: string) => webhook.received.find((hook) => hook.answered === 200 && hook.body.includes(taskId) && hook.body.includes('TASK_STATE_COMPLETED'));
    await waitFor('both tasks\' final updates at the webhook', async () => Boolean(finalFor(withAuth.id) && finalFor(withToken.id)), 10_000);

    const authHooks = webhook.received.filter((hook) => hook.body.includes(withAuth.id));
    expect(authHooks.every((hook) => hook.headers.authorization === 'Bearer hook-secret')).toBe(true);
    expect(authHooks.every((hook) => hook.headers['content-type'] === 'application/a2a+json')).toBe(true);
    // The first POST got a 500; the same update came again and was taken.
    expect(authHooks[0]!.answered).toBe(500);
    expect(authHooks[1]!.answered).toBe(200);
    expect(authHooks[1]!.body).toBe(authHooks[0]!.body);
    const update = JSON.parse(finalFor(withAuth.id)!.body) as { statusUpdate?: { taskId: string }; task?: { id: string } };
    expect(update.statusUpdate?.taskId ?? update.task?.id).toBe(withAuth.id);

    const tokenHooks = webhook.received.filter((hook) => hook.body.includes(withToken.id));
    expect(tokenHooks.length).toBeGreaterThan(0);
    expect(tokenHooks.every((hook) => hook.headers['x-a2a-notification-token'] === 'hook-token' && !hook.headers.authorization)).toBe(true);
  });
});
