import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@a2a-js/sdk/client';
import { ClientFactory, JsonRpcTransportFactory } from '@a2a-js/sdk/client';
import type { Message, StreamResponse, Task } from '@a2a-js/sdk';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { teardown, upSingleAgent, waitFor } from '../helpers/fleet.js';

const COMPLETED = 3;
const CANCELED = 5;
const WORKING = 2;

function userMessage(text: string, extra: Partial<Message> = {}): Message {
  return {
    messageId: randomUUID(),
    contextId: '',
    taskId: '',
    role: 1 as Message['role'],
    parts: [{ content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: 'text/plain' }],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
    ...extra,
  };
}

function send(text: string, options: { returnImmediately?: boolean; contextId?: string } = {}) {
  return {
    tenant: '',
    message: userMessage(text, options.contextId ? { contextId: options.contextId } : {}),
    configuration: { acceptedOutputModes: [], taskPushNotificationConfig: undefined, returnImmediately: options.returnImmediately ?? false },
    metadata: undefined,
  };
}

function textOf(task: Task): string {
  return task.artifacts.flatMap((artifact) => artifact.parts).map((part) => (part.content?.$case === 'text' ? part.content.value : '')).join('');
}

async function collect(stream: AsyncIterable<StreamResponse>): Promise<StreamResponse[]> {
  const events: StreamResponse[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

/**
 * The supervisor as one A2A agent, driven by @a2a-js/sdk's own client: a fleet of one
 * general_assistant on the OpenAI-compatible test server, reached only through the card at the
 * supervisor's API URL and its JSON-RPC endpoint (bearer: the control token).
 */
describe('the fleet as one A2A agent (@a2a-js/sdk client)', () => {
  let model: OpenAiTestServer;
  let fleet: Awaited<ReturnType<typeof upSingleAgent>>;
  let client: Client;
  const authed: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${fleet.token}`);
    return fetch(input, { ...init, headers });
  };

  beforeAll(async () => {
    model = await startOpenAiTestServer();
    fleet = await upSingleAgent(model.url);
    client = await new ClientFactory({ transports: [new JsonRpcTransportFactory({ fetchImpl: authed })] }).createFromUrl(fleet.api);
  });
  afterAll(async () => {
    await teardown(fleet.dir);
    await model.close();
  });

  it('serves a card: the fleet\'s agents as skills, its own URL, a bearer scheme', async () => {
    const card = (await (await fetch(`${fleet.api}/.well-known/agent-card.json`)).json()) as Record<string, any>;
    expect(card.supportedInterfaces[0]).toMatchObject({ url: `${fleet.api}/a2a/jsonrpc`, protocolBinding: 'JSONRPC', protocolVersion: '1.0' });
    expect(card.skills.map((skill: { id: string }) => skill.id)).toEqual(['general_assistant']);
    expect(card.skills[0].tags).toEqual(expect.arrayContaining(['writing', 'translation']));
    expect(card.securitySchemes.bearer.httpAuthSecurityScheme.scheme).toBe('Bearer');
    expect(card.capabilities.streaming).toBe(true);
  });

  it('send: routes the message like `lightning run`, records it in the ledger under the same id, answers with the task', async () => {
    const result = await client.sendMessage(send('Translate "good morning" into French'));
    const task = result as Task;
    expect(task.status?.state).toBe(COMPLETED);
    expect(textOf(task)).toContain('Translate "good morning" into French');
    const ledgerView = (await (await fetch(`${fleet.api}/v1/tasks/${task.id}`, { headers: { authorization: `Bearer ${fleet.token}` } })).json()) as Record<string, unknown>;
    expect(ledgerView).toMatchObject({ id: task.id, agent: 'general_assistant', status: 'completed' });
    const ledger = readFileSync(path.join(fleet.dir, '.lightning/ledger.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { taskId: string; event: string });
    expect(ledger.filter((event) => event.taskId === task.id).map((event) => event.event)).toEqual(['task.submitted', 'task.routed', 'task.attempt', 'task.completed']);
    expect(task.metadata?.['lightning']).toMatchObject({ agent: 'general_assistant' });
  });

  it('files the task wrote come back as artifacts with their bytes', async () => {
    const task = (await client.sendMessage(send('write a file named notes.md containing # Hello from the fleet'))) as Task;
    expect(task.status?.state).toBe(COMPLETED);
    const file = task.artifacts.find((artifact) => artifact.name === 'notes.md');
    const part = file?.parts[0];
    expect(part?.content?.$case).toBe('raw');
    expect(part?.filename).toBe('notes.md');
    expect(part?.mediaType).toBe('text/markdown');
    expect(Buffer.from(part?.content?.$case === 'raw' ? part.content.value : Buffer.alloc(0)).toString('utf8')).toBe('# Hello from the fleet');
  });

  it('file parts: a text file is read into the task, a binary one saved in its workspace', async () => {
    const request = send('Summarise the attached table');
    request.message.parts.push(
      { content: { $case: 'raw', value: Buffer.from('city,people\nOslo,709000') }, metadata: undefined, filename: 'cities.csv', mediaType: 'text/csv' },
      { content: { $case: 'raw', value: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff]) }, metadata: undefined, filename: '../logo.png', mediaType: 'image/png' },
    );
    const task = (await client.sendMessage(request)) as Task;
    expect(task.status?.state).toBe(COMPLETED);
    expect(textOf(task)).toContain('[file cities.csv (text/csv)]\ncity,people\nOslo,709000');
    expect(textOf(task)).toContain("[file logo.png (image/png, 5 bytes): saved in the task's workspace as attachments/logo.png]");
    expect([...readFileSync(path.join(fleet.dir, '.lightning/workspaces', task.id, 'attachments/logo.png'))]).toEqual([0x89, 0x50, 0x4e, 0x47, 0xff]);
  });

  it('stream: the task, working updates, the answer as an artifact, then the final status', async () => {
    const events = await collect(client.sendMessageStream(send('Proofread this sentence please', { contextId: 'ctx-stream-1' })));
    const kinds = events.map((event) => event.payload?.$case);
    expect(kinds[0]).toBe('task');
    expect(kinds).toContain('statusUpdate');
    expect(kinds.indexOf('artifactUpdate')).toBeGreaterThan(0);
    const last = events.at(-1)?.payload;
    expect(last?.$case).toBe('statusUpdate');
    if (last?.$case !== 'statusUpdate') throw new Error('no final status');
    expect(last.value.status?.state).toBe(COMPLETED);
    expect(last.value.contextId).toBe('ctx-stream-1');
    const artifact = events.find((event) => event.payload?.$case === 'artifactUpdate')?.payload;
    if (artifact?.$case !== 'artifactUpdate') throw new Error('no artifact');
    expect(artifact.value.artifact?.parts[0]?.content).toEqual({ $case: 'text', value: expect.stringContaining('Proofread this sentence please') });
  });

  it('stream: every progress event comes before the end, even of a task that ends at once (tool results, last deltas)', async () => {
    // The worker and the test model answer in milliseconds: the task is terminal in the ledger
    // while its last progress still waits in the stream's feed. None of it may be dropped.
    for (let i = 0; i < 5; i++) {
      const events = await collect(client.sendMessageStream(send(`write a file named f${i}.txt containing line ${i}`)));
      const progress = events.flatMap((event) => (event.payload?.$case === 'statusUpdate'
        ? [(event.payload.value.metadata as { lightning?: { progress?: { kind: string; text?: string } } } | undefined)?.lightning?.progress].filter((p) => p !== undefined)
        : []));
      expect([i, progress.filter((p) => p.kind === 'tool-call').length, progress.filter((p) => p.kind === 'tool-result').length]).toEqual([i, 1, 1]);
      const answer = events.find((event) => event.payload?.$case === 'artifactUpdate')?.payload;
      if (answer?.$case !== 'artifactUpdate') throw new Error('no answer');
      const text = answer.value.artifact?.parts[0]?.content;
      expect(progress.filter((p) => p.kind === 'delta').map((p) => p.text).join('')).toBe(text?.$case === 'text' ? text.value : null);
    }
  });

  it('get and list: every task of the fleet, paged, filtered by context', async () => {
    const first = (await client.sendMessage(send('Summarise the plot of Hamlet', { contextId: 'ctx-list' }))) as Task;
    const fetched = await client.getTask({ tenant: '', id: first.id, historyLength: undefined });
    expect(fetched).toMatchObject({ id: first.id, contextId: 'ctx-list' });
    expect(fetched.status?.state).toBe(COMPLETED);
    expect(fetched.history[0]?.parts[0]?.content).toEqual({ $case: 'text', value: 'Summarise the plot of Hamlet' });
    const page1 = await client.listTasks({ tenant: '', contextId: '', status: 0 as never, pageSize: 2, pageToken: '', historyLength: undefined, statusTimestampAfter: undefined, includeArtifacts: false });
    expect(page1.tasks).toHaveLength(2);
    expect(page1.tasks[0]?.id).toBe(first.id);
    expect(page1.totalSize).toBeGreaterThanOrEqual(4);
    const page2 = await client.listTasks({ tenant: '', contextId: '', status: 0 as never, pageSize: 2, pageToken: page1.nextPageToken, historyLength: undefined, statusTimestampAfter: undefined, includeArtifacts: false });
    expect(page2.tasks.map((task) => task.id)).not.toContain(first.id);
    const byContext = await client.listTasks({ tenant: '', contextId: 'ctx-list', status: 0 as never, pageSize: 50, pageToken: '', historyLength: undefined, statusTimestampAfter: undefined, includeArtifacts: true });
    expect(byContext.tasks.map((task) => task.id)).toEqual([first.id]);
  });

  it('subscribe and cancel: a running task streams to a subscriber, which sees it end cancelled', async () => {
    model.setBehavior({ type: 'slow', tokens: 400, intervalMs: 25 });
    try {
      const started = (await client.sendMessage(send('Write a long essay about rivers', { returnImmediately: true }))) as Task;
      expect([1, WORKING]).toContain(started.status?.state);
      const subscription = collect(client.resubscribeTask({ tenant: '', id: started.id }));
      await waitFor('the task to run', async () => model.requests.length > 0 && (await client.getTask({ tenant: '', id: started.id, historyLength: 0 })).status?.state === WORKING);
      const cancelled = await client.cancelTask({ tenant: '', id: started.id, metadata: undefined });
      expect(cancelled.status?.state).toBe(CANCELED);
      const events = await subscription;
      expect(events[0]?.payload?.$case).toBe('task');
      const last = events.at(-1)?.payload;
      expect(last?.$case === 'statusUpdate' && last.value.status?.state).toBe(CANCELED);
      // A finished task cannot be subscribed to or cancelled again: the spec's errors.
      await expect(collect(client.resubscribeTask({ tenant: '', id: started.id }))).rejects.toThrow(/terminal state/);
    } finally {
      model.setBehavior({ type: 'echo' });
    }
  });

  it('speaks v0.3 names on the trailing-slash route, and answers bad requests with JSON-RPC errors', async () => {
    const rpc = async (body: unknown, headers: Record<string, string> = {}) => {
      const response = await fetch(`${fleet.api}/a2a/jsonrpc/`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${fleet.token}`, ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as { result?: any; error?: { code: number; message: string } } };
    };
    const legacy = await rpc({ jsonrpc: '2.0', id: 1, method: 'message/send', params: { message: { kind: 'message', messageId: 'm-legacy', role: 'user', parts: [{ kind: 'text', text: 'Say hello in Spanish' }] } } });
    expect(legacy.body.result).toMatchObject({ kind: 'task', status: { state: 'completed' } });
    const got = await rpc({ jsonrpc: '2.0', id: 2, method: 'tasks/get', params: { id: legacy.body.result.id } });
    expect(got.body.result.id).toBe(legacy.body.result.id);
    expect((await rpc({ jsonrpc: '2.0', id: 3, method: 'GetTask', params: { id: 'no-such-task' } }, { 'a2a-version': '1.0' })).body.error?.code).toBe(-32001);
    expect((await rpc('{"jsonrpc": "2.0", "id": 4, "method": "GetTask"', { 'a2a-version': '1.0' })).body.error?.code).toBe(-32700);
    const wrongType = await rpc({ jsonrpc: '2.0', id: 5, method: 'SendMessage', params: {} }, { 'content-type': 'text/plain', 'a2a-version': '1.0' });
    expect(wrongType.body.error?.code).toBe(-32005);
    const anonymous = await fetch(`${fleet.api}/a2a/jsonrpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error?: { code?: number } }).error?.code).toBe(-32600);
  });
});
