/**
 * A custom lightning agent in TypeScript: node:http only, no dependencies.
 *
 * It serves lightning's worker protocol on 127.0.0.1:$PORT:
 *   GET  /health                        liveness and load, probed by the supervisor
 *   GET  /.well-known/agent-card.json   A2A agent card: who this agent is, its skills
 *   POST /a2a/jsonrpc                   A2A JSON-RPC
 *        v0.3 (no A2A-Version header): message/send, message/stream (SSE), tasks/get, tasks/cancel
 *        v1.0 (A2A-Version: 1.0):      SendMessage, SendStreamingMessage (SSE), GetTask, CancelTask
 *
 * Your code goes in handle() below; the rest is protocol plumbing you should not need to touch.
 * start.mjs compiles this file (Node 20 cannot run .ts) and runs it: see README.md.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { fstatSync } from 'node:fs';
import http from 'node:http';
import { hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// What this agent says about itself, written by `lightning new agent`. The supervisor reads them
// from the agent card and merges them with agents.yaml, so keep both in the same words.
const AGENT_NAME = "my_agent";
const DESCRIPTION = "A custom agent";
const CAPABILITIES: string[] = ["example"];
// Used when $PORT is not set (the supervisor always sets it).
const DEFAULT_PORT = 9010;
// Tasks run at once; beyond this a task is refused at once with HTTP 503 so the supervisor can
// send it to another instance.
const CAPACITY = 8;

// ================================ YOUR LOGIC GOES HERE ================================
/**
 * Does this agent's work on one task and returns the answer as text. `text` is the task as the
 * user wrote it (`lightning run "..."`). Throw (or reject) to fail the task: the error's message
 * becomes the task's error.
 */
async function handle(text: string): Promise<string> {
  const source = path.relative(process.cwd(), fileURLToPath(import.meta.url)).replace(/build[/\\]agent\.js$/, 'agent.ts');
  return (
    `${AGENT_NAME} received this task:\n${text}\n\n` +
    `Nothing was done with it: this agent's logic is not written yet (edit handle() in ${source}).`
  );
}
// ======================================================================================

const RPC_PATH = '/a2a/jsonrpc';
const CARD_PATH = '/.well-known/agent-card.json';
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const TASKS_KEPT = 1000; // for tasks/get; the oldest are forgotten first
const V03_METHODS = new Set(['message/send', 'message/stream', 'tasks/get', 'tasks/cancel']);
const V1_METHODS = new Set(['SendMessage', 'SendStreamingMessage', 'GetTask', 'CancelTask']);

const NAME = process.env.LIGHTNING_AGENT || AGENT_NAME;
const INSTANCE = Number(process.env.LIGHTNING_INSTANCE ?? 0);
const PORT = Number(process.env.PORT || DEFAULT_PORT);
// Started by hand elsewhere with a supervisor's URL and its join token, the agent joins that
// supervisor by itself and keeps a lease with heartbeats (the supervisor never passes the join
// token to the agents it starts, so those do not).
const SUPERVISOR = process.env.LIGHTNING_SUPERVISOR || null;
const JOIN_TOKEN = process.env.LIGHTNING_JOIN_TOKEN || null;
const HOST = process.env.HOST || '127.0.0.1';
const ADVERTISE = process.env.LIGHTNING_ADVERTISE || `http://${HOST === '0.0.0.0' || HOST === '::' ? hostname() : HOST}:${PORT}`;
const LEASE_MS = Number(process.env.LIGHTNING_LEASE_MS) || 15_000;
// A joined agent takes tasks only from the supervisor it joined, which sends the join token.
const TOKEN = process.env.LIGHTNING_TOKEN || (SUPERVISOR ? JOIN_TOKEN : null);
const started = Date.now();
let inflight = 0;

interface FinishedTask {
  id: string;
  contextId: string;
  input: string;
  state: 'working' | 'completed' | 'failed';
  output: string;
  timestamp: string;
}
const tasks = new Map<string, FinishedTask>(); // insertion order = age

class RpcError extends Error {
  constructor(readonly code: number, message: string, readonly status = 200) {
    super(message);
  }
}

async function runTask(id: string, input: string, contextId: string): Promise<FinishedTask> {
  const begun = Date.now();
  const task: FinishedTask = { id, contextId, input, state: 'completed', output: '', timestamp: '' };
  try {
    task.output = String(await handle(input));
  } catch (error) {
    // The user's logic failed: the task fails, the agent lives on.
    task.state = 'failed';
    task.output = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
  task.timestamp = new Date().toISOString();
  tasks.set(id, task);
  for (const oldest of tasks.keys()) {
    if (tasks.size <= TASKS_KEPT) break;
    tasks.delete(oldest);
  }
  console.log(`task ${id} ${task.state} in ${Date.now() - begun} ms`);
  return task;
}

function humanize(term: string): string {
  return term.split(/[-_\s]+/).filter(Boolean).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
}

/** A2A card, v1.0 form by default; v0.3 form (top-level url) when a 0.x version is asked. */
function agentCard(baseUrl: string, legacy: boolean): Record<string, unknown> {
  const rpcUrl = baseUrl + RPC_PATH;
  const skills = CAPABILITIES.map((c) => ({
    id: c, name: humanize(c), description: `${humanize(c)} work by ${NAME}: ${DESCRIPTION}`,
    tags: [c], examples: [], inputModes: ['text/plain'], outputModes: ['text/plain'],
  }));
  const card: Record<string, unknown> = {
    name: NAME, description: DESCRIPTION, version: '0.1.0',
    capabilities: { streaming: true, pushNotifications: false },
    defaultInputModes: ['text/plain'], defaultOutputModes: ['text/plain'], skills,
  };
  if (legacy) {
    Object.assign(card, { protocolVersion: '0.3.0', url: rpcUrl, preferredTransport: 'JSONRPC' });
    if (TOKEN) Object.assign(card, { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } }, security: [{ bearer: [] }] });
  } else {
    card.supportedInterfaces = [
      { url: rpcUrl, protocolBinding: 'JSONRPC', protocolVersion: '1.0' },
      { url: rpcUrl, protocolBinding: 'JSONRPC', protocolVersion: '0.3' },
    ];
    if (TOKEN) {
      card.securitySchemes = { bearer: { httpAuthSecurityScheme: { scheme: 'Bearer' } } };
      card.securityRequirements = [{ schemes: { bearer: { list: [] } } }];
    }
  }
  return card;
}

function inputOf(params: unknown): { text: string; contextId: string } {
  const message = (params as { message?: unknown } | null)?.message as { parts?: unknown; contextId?: unknown } | undefined;
  if (typeof message !== 'object' || message === null) throw new RpcError(-32602, 'invalid params: params.message must be an object');
  const parts = Array.isArray(message.parts) ? (message.parts as Array<{ text?: unknown }>) : [];
  const texts = parts.filter((p) => typeof p?.text === 'string').map((p) => p.text as string);
  if (texts.length === 0) throw new RpcError(-32602, 'invalid params: the message has no text part');
  return { text: texts.join('\n'), contextId: typeof message.contextId === 'string' ? message.contextId : randomUUID() };
}

function findTask(params: unknown): FinishedTask {
  const id = (params as { id?: unknown } | null)?.id;
  const task = typeof id === 'string' ? tasks.get(id) : undefined;
  if (!task) throw new RpcError(-32001, `Task not found: ${String(id)}`);
  return task;
}

// The same task in each protocol version's wire form.
function v03Message(task: FinishedTask, role: 'user' | 'agent', text: string) {
  return { kind: 'message', messageId: randomUUID(), role, parts: [{ kind: 'text', text }], taskId: task.id, contextId: task.contextId };
}
function v03Task(task: FinishedTask): Record<string, unknown> {
  const done = task.state !== 'working';
  return {
    kind: 'task', id: task.id, contextId: task.contextId,
    status: done ? { state: task.state, message: v03Message(task, 'agent', task.output), timestamp: task.timestamp } : { state: 'working', timestamp: new Date().toISOString() },
    history: [v03Message(task, 'user', task.input)],
    ...(task.state === 'completed' ? { artifacts: [{ artifactId: `${task.id}-output`, name: 'output', parts: [{ kind: 'text', text: task.output }] }] } : {}),
  };
}
function v03Events(task: FinishedTask): unknown[] {
  const final = v03Task(task) as { status: unknown; artifacts?: unknown[] };
  const ids = { taskId: task.id, contextId: task.contextId };
  return [
    ...(final.artifacts ? [{ kind: 'artifact-update', ...ids, artifact: final.artifacts[0], append: false, lastChunk: true }] : []),
    { kind: 'status-update', ...ids, status: final.status, final: true },
  ];
}

const V1_STATES = { working: 'TASK_STATE_WORKING', completed: 'TASK_STATE_COMPLETED', failed: 'TASK_STATE_FAILED' } as const;
function v1Message(task: FinishedTask, role: 'ROLE_USER' | 'ROLE_AGENT', text: string) {
  return { messageId: randomUUID(), role, parts: [{ text, mediaType: 'text/plain' }], taskId: task.id, contextId: task.contextId };
}
function v1Task(task: FinishedTask): Record<string, unknown> {
  const done = task.state !== 'working';
  return {
    id: task.id, contextId: task.contextId,
    status: done ? { state: V1_STATES[task.state], message: v1Message(task, 'ROLE_AGENT', task.output), timestamp: task.timestamp } : { state: V1_STATES.working, timestamp: new Date().toISOString() },
    history: [v1Message(task, 'ROLE_USER', task.input)],
    ...(task.state === 'completed' ? { artifacts: [{ artifactId: `${task.id}-output`, name: 'output', parts: [{ text: task.output, mediaType: 'text/plain' }] }] } : {}),
  };
}
function v1Events(task: FinishedTask): unknown[] {
  const final = v1Task(task) as { status: unknown; artifacts?: unknown[] };
  const ids = { taskId: task.id, contextId: task.contextId };
  return [
    ...(final.artifacts ? [{ artifactUpdate: { ...ids, artifact: final.artifacts[0], lastChunk: true } }] : []),
    { statusUpdate: { ...ids, status: final.status } },
  ];
}

function sendJson(response: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

function authorized(header: string | undefined): boolean {
  if (!TOKEN) return true;
  const given = Buffer.from(header ?? '');
  const expected = Buffer.from(`Bearer ${TOKEN}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function readBody(request: http.IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(null);
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

async function handleRpc(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  let id: unknown = null;
  try {
    if (!authorized(request.headers.authorization)) throw new RpcError(-32001, 'unauthorized: send Authorization: Bearer $LIGHTNING_TOKEN', 401);
    if (!(request.headers['content-type'] ?? '').includes('application/json')) throw new RpcError(-32600, 'content-type must be application/json', 415);
    const text = await readBody(request);
    if (text === null) throw new RpcError(-32600, `request body over ${MAX_BODY_BYTES} bytes`, 413);
    let body: { id?: unknown; method?: unknown; params?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new RpcError(-32700, 'parse error: the body is not valid JSON', 400);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body) || typeof body.method !== 'string') {
      throw new RpcError(-32600, 'invalid request: expected a JSON-RPC object with a method', 400);
    }
    id = body.id ?? null;
    const method = body.method;
    if (!V03_METHODS.has(method) && !V1_METHODS.has(method)) throw new RpcError(-32601, `Method not found: ${method}`);
    if (method === 'tasks/get' || method === 'GetTask') {
      const task = findTask(body.params);
      return sendJson(response, 200, { jsonrpc: '2.0', id, result: method === 'tasks/get' ? v03Task(task) : v1Task(task) });
    }
    if (method === 'tasks/cancel' || method === 'CancelTask') {
      throw new RpcError(-32002, `Task cannot be canceled: it is already ${findTask(body.params).state}`);
    }
    const input = inputOf(body.params);
    if (inflight >= CAPACITY) throw new RpcError(-32000, `at capacity: ${inflight} of ${CAPACITY} tasks in flight`, 503);
    inflight += 1;
    try {
      if (method === 'message/send' || method === 'SendMessage') {
        const task = await runTask(randomUUID(), input.text, input.contextId);
        return sendJson(response, 200, { jsonrpc: '2.0', id, result: method === 'message/send' ? v03Task(task) : { task: v1Task(task) } });
      }
      await stream(response, id, method === 'message/stream', input.text, input.contextId);
    } finally {
      inflight -= 1;
    }
  } catch (error) {
    if (!(error instanceof RpcError)) throw error;
    const headers: Record<string, string> = error.status === 401 ? { 'www-authenticate': 'Bearer' } : error.status === 503 ? { 'retry-after': '1' } : {};
    sendJson(response, error.status, { jsonrpc: '2.0', id, error: { code: error.code, message: error.message } }, headers);
  }
}

/** SSE: the task as it starts (so the caller learns its id), then its end. */
async function stream(response: http.ServerResponse, id: unknown, legacy: boolean, text: string, contextId: string): Promise<void> {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (result: unknown) => {
    if (!response.destroyed) response.write(`data: ${JSON.stringify({ jsonrpc: '2.0', id, result })}\n\n`);
  };
  const pending: FinishedTask = { id: randomUUID(), contextId, input: text, state: 'working', output: '', timestamp: '' };
  send(legacy ? v03Task(pending) : { task: v1Task(pending) });
  const task = await runTask(pending.id, text, contextId);
  for (const event of legacy ? v03Events(task) : v1Events(task)) send(event);
  response.end();
}

const server = http.createServer((request, response) => {
  const route = (request.url ?? '/').split('?', 1)[0];
  if (request.method === 'GET' && route === '/health') {
    return sendJson(response, 200, { status: 'ok', agent: NAME, instance: INSTANCE, inflight, capacity: CAPACITY, uptimeMs: Date.now() - started });
  }
  if (request.method === 'GET' && route === CARD_PATH) {
    const legacy = String(request.headers['a2a-version'] ?? '').startsWith('0.');
    return sendJson(response, 200, agentCard(`http://127.0.0.1:${PORT}`, legacy));
  }
  if (request.method === 'POST' && route === RPC_PATH) {
    handleRpc(request, response).catch((error: unknown) => {
      console.error(error);
      if (!response.headersSent) sendJson(response, 500, { jsonrpc: '2.0', id: null, error: { code: -32603, message: 'internal error' } });
      else response.end();
    });
    return;
  }
  sendJson(response, 404, { error: 'not_found', message: `no route ${request.method} ${route}` });
});
// Longer than the supervisor's idle connections live, so it can reuse them.
server.keepAliveTimeout = 10_000;
server.on('error', (error: NodeJS.ErrnoException) => {
  console.error(`${NAME}: cannot listen on ${HOST}:${PORT}: ${error.code ?? error.message}`);
  process.exit(1);
});
server.listen(PORT, HOST, () => {
  console.log(`${NAME} listening on http://${HOST}:${PORT}`);
  joinSupervisor();
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));

// Under the supervisor: exit when it is gone (stdin pipe closed, or we were re-parented).
const supervisorPid = Number(process.env.LIGHTNING_SUPERVISOR_PID) || null;
if (supervisorPid !== null) {
  let stdinIsPipe = false;
  try {
    const stdin = fstatSync(0);
    stdinIsPipe = stdin.isFIFO() || stdin.isSocket(); // a pipe from the supervisor (Node makes it a socket)
  } catch {
    // no stdin at all
  }
  if (stdinIsPipe) {
    process.stdin.on('end', () => process.exit(0));
    process.stdin.resume();
  }
  setInterval(() => {
    if (process.ppid !== supervisorPid) process.exit(0);
  }, 250).unref();
}

/** Register with $LIGHTNING_SUPERVISOR and renew the lease every third of it, for good. */
function joinSupervisor(): void {
  if (!SUPERVISOR || !JOIN_TOKEN) return;
  const url = `${SUPERVISOR.replace(/\/+$/, '')}/v1/agents/register`;
  const body = JSON.stringify({ url: ADVERTISE, name: NAME, ttlMs: LEASE_MS });
  let joined = false;
  const beat = async (): Promise<void> => {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${JOIN_TOKEN}` },
        body,
        signal: AbortSignal.timeout(3000),
      });
      const answer = (await response.json().catch(() => ({}))) as { id?: string; message?: string };
      if (response.ok) {
        if (!joined) console.log(`joined ${SUPERVISOR} as ${answer.id} (lease ${LEASE_MS} ms)`);
        joined = true;
      } else if (!joined && response.status < 500) {
        // A bad token or an unreachable card: say so and stop, nothing will change by retrying.
        console.error(`${NAME}: could not join ${SUPERVISOR}: HTTP ${response.status} ${answer.message ?? ''}`);
        process.exit(1);
      } else {
        console.error(`heartbeat to ${SUPERVISOR} failed: HTTP ${response.status}`);
      }
    } catch (error) {
      // The supervisor restarting or unreachable: keep trying.
      console.error(`heartbeat to ${SUPERVISOR} failed: ${(error as Error).message}`);
    }
    setTimeout(() => void beat(), Math.max(250, LEASE_MS / 3)).unref();
  };
  void beat();
}
