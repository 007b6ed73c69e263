/**
 * A custom lightning agent in TypeScript: node:http only, no dependencies.
 *
 * It serves lightning's worker protocol on 127.0.0.1:$PORT:
 *   GET  /health                        liveness and load, probed by the supervisor
 *   GET  /.well-known/agent-card.json   A2A agent card: who this agent is, its skills
 *   POST /a2a/jsonrpc                   A2A JSON-RPC (passes the A2A conformance kit's required level)
 *        v1.0 (A2A-Version: 1.0):      SendMessage, SendStreamingMessage (SSE), GetTask, ListTasks,
 *                                      CancelTask, SubscribeToTask (SSE)
 *        v0.3 (no A2A-Version header): message/send, message/stream, tasks/get, tasks/cancel,
 *                                      tasks/resubscribe
 *      Push notifications are not offered (the card says so); each task is one message, one answer.
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
const TASKS_KEPT = 1000; // for GetTask/ListTasks; the oldest are forgotten first
const SUPPORTED_VERSIONS = ['0.3', '1.0']; // A2A-Version: absent means 0.3

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

interface Entry { role: 'user' | 'agent'; text: string; messageId: string }
interface Task {
  id: string;
  contextId: string;
  state: 'working' | 'completed' | 'failed';
  output: string;
  timestamp: string;
  history: Entry[];
  /** Rises with every update: ListTasks pages by it. */
  sequence: number;
  done: Promise<void>;
  settle: () => void;
}
const tasks = new Map<string, Task>(); // the most recently updated last
let sequence = 0;

// A2A's error codes; in 1.0 each error also carries a google.rpc.ErrorInfo with its reason.
const TASK_NOT_FOUND = -32001, TASK_NOT_CANCELABLE = -32002, PUSH_NOT_SUPPORTED = -32003, UNSUPPORTED = -32004;
const CONTENT_TYPE_NOT_SUPPORTED = -32005, VERSION_NOT_SUPPORTED = -32009, INVALID_PARAMS = -32602;
const REASONS: Record<number, string> = {
  [-32001]: 'TASK_NOT_FOUND', [-32002]: 'TASK_NOT_CANCELABLE', [-32003]: 'PUSH_NOTIFICATION_NOT_SUPPORTED',
  [-32004]: 'UNSUPPORTED_OPERATION', [-32005]: 'CONTENT_TYPE_NOT_SUPPORTED', [-32006]: 'INVALID_AGENT_RESPONSE',
  [-32007]: 'EXTENDED_AGENT_CARD_NOT_CONFIGURED', [-32008]: 'EXTENSION_SUPPORT_REQUIRED',
  [-32009]: 'VERSION_NOT_SUPPORTED', [-32602]: 'INVALID_PARAMS',
};

// Each method's 1.0 name and 0.3 name, and what it does here.
type Action = 'send' | 'stream' | 'get' | 'list' | 'cancel' | 'subscribe' | 'push' | 'extendedCard';
const METHODS: Record<string, Action> = {
  SendMessage: 'send', 'message/send': 'send',
  SendStreamingMessage: 'stream', 'message/stream': 'stream',
  GetTask: 'get', 'tasks/get': 'get',
  ListTasks: 'list', 'tasks/list': 'list',
  CancelTask: 'cancel', 'tasks/cancel': 'cancel',
  SubscribeToTask: 'subscribe', 'tasks/resubscribe': 'subscribe',
  CreateTaskPushNotificationConfig: 'push', GetTaskPushNotificationConfig: 'push',
  ListTaskPushNotificationConfigs: 'push', DeleteTaskPushNotificationConfig: 'push',
  'tasks/pushNotificationConfig/set': 'push', 'tasks/pushNotificationConfig/get': 'push',
  'tasks/pushNotificationConfig/list': 'push', 'tasks/pushNotificationConfig/delete': 'push',
  GetExtendedAgentCard: 'extendedCard', 'agent/getAuthenticatedExtendedCard': 'extendedCard',
};

class RpcError extends Error {
  constructor(readonly code: number, message: string, readonly status = 200) {
    super(message);
  }
}

function errorBody(error: RpcError, legacy: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { code: error.code, message: error.message };
  const reason = REASONS[error.code];
  if (!legacy && reason) body.data = [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'a2a-protocol.org' }];
  return body;
}

function newTask(text: string, messageId: string, contextId: string): Task {
  let settle = () => {};
  const done = new Promise<void>((resolve) => (settle = resolve));
  const task: Task = {
    id: randomUUID(), contextId, state: 'working', output: '', timestamp: new Date().toISOString(),
    history: [{ role: 'user', text, messageId }], sequence: 0, done, settle,
  };
  save(task);
  return task;
}

function save(task: Task): void {
  task.sequence = ++sequence;
  tasks.delete(task.id);
  tasks.set(task.id, task);
  for (const oldest of tasks.keys()) {
    if (tasks.size <= TASKS_KEPT) break;
    tasks.delete(oldest);
  }
}

/** Runs handle() on the task's input, then records how it ended. */
async function runTask(task: Task): Promise<Task> {
  const begun = Date.now();
  try {
    finish(task, 'completed', String(await handle(task.history[0]!.text)));
  } catch (error) {
    // The user's logic failed: the task fails, the agent lives on.
    finish(task, 'failed', error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  }
  console.log(`task ${task.id} ${task.state} in ${Date.now() - begun} ms`);
  return task;
}

function finish(task: Task, state: 'completed' | 'failed', output: string): void {
  Object.assign(task, { state, output, timestamp: new Date().toISOString() });
  task.history.push({ role: 'agent', text: output, messageId: randomUUID() });
  save(task);
  task.settle();
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

/** The A2A-Version a request speaks ("0.3" without the header), or VersionNotSupported. */
function wireVersion(header: string | string[] | undefined): string {
  const asked = String(header ?? '').trim() || '0.3';
  const majorMinor = asked.split('.').slice(0, 2).join('.');
  if (!SUPPORTED_VERSIONS.includes(majorMinor)) {
    throw new RpcError(VERSION_NOT_SUPPORTED, `A2A-Version ${asked} is not supported: use one of ${SUPPORTED_VERSIONS.join(', ')}`);
  }
  return majorMinor;
}

type Params = Record<string, unknown>;

function paramsOf(body: { params?: unknown }): Params {
  if (body.params === undefined || body.params === null) return {};
  if (typeof body.params !== 'object' || Array.isArray(body.params)) throw new RpcError(INVALID_PARAMS, 'invalid params: params must be an object');
  return body.params as Params;
}

function intParam(params: Params, name: string, low: number, high: number): number | undefined {
  const value = params[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < low || value > high) {
    throw new RpcError(INVALID_PARAMS, `invalid params: ${name} must be an integer from ${low} to ${high}`);
  }
  return value;
}

/** The user's message: its text, id and context; a message for a task that exists is refused. */
function incomingMessage(params: Params): { text: string; messageId: string; contextId: string } {
  const message = params.message as { parts?: unknown; contextId?: unknown; messageId?: unknown; taskId?: unknown } | undefined;
  if (typeof message !== 'object' || message === null) throw new RpcError(INVALID_PARAMS, 'invalid params: params.message must be an object');
  if (!Array.isArray(message.parts) || message.parts.length === 0) throw new RpcError(INVALID_PARAMS, 'invalid params: the message has no parts');
  if (message.taskId) {
    // Each task here is one message and one answer: a follow-up cannot continue it.
    const task = findTask(message.taskId);
    throw new RpcError(UNSUPPORTED, task.state === 'working'
      ? `Task ${task.id} is still working and takes no more messages`
      : `Task ${task.id} is in a terminal state (${task.state}) and cannot take more messages`);
  }
  // Text parts as they are, data parts as JSON; files are not read by this template.
  const parts = message.parts as Array<{ text?: unknown; data?: unknown } | null>;
  const texts = parts.flatMap((p) => (typeof p?.text === 'string' ? [p.text] : p && 'data' in p ? [JSON.stringify(p.data)] : []));
  const nonEmpty = (value: unknown) => (typeof value === 'string' && value ? value : null);
  return { text: texts.join('\n'), messageId: nonEmpty(message.messageId) ?? randomUUID(), contextId: nonEmpty(message.contextId) ?? randomUUID() };
}

function findTask(id: unknown): Task {
  const task = typeof id === 'string' ? tasks.get(id) : undefined;
  if (!task) throw new RpcError(TASK_NOT_FOUND, `Task not found: ${String(id)}`);
  return task;
}

const recent = (task: Task, historyLength: number | undefined) =>
  historyLength === undefined ? task.history : historyLength === 0 ? [] : task.history.slice(-historyLength);

// The same task in each protocol version's wire form.
function v03Message(task: Task, entry: Entry) {
  return { kind: 'message', messageId: entry.messageId, role: entry.role, parts: [{ kind: 'text', text: entry.text }], taskId: task.id, contextId: task.contextId };
}
function v03Status(task: Task) {
  return { state: task.state, timestamp: task.timestamp, ...(task.state === 'working' ? {} : { message: v03Message(task, task.history.at(-1)!) }) };
}
function v03Artifact(task: Task) {
  return { artifactId: `${task.id}-output`, name: 'output', parts: [{ kind: 'text', text: task.output }] };
}
function v03Task(task: Task, historyLength?: number): Record<string, unknown> {
  return {
    kind: 'task', id: task.id, contextId: task.contextId, status: v03Status(task),
    history: recent(task, historyLength).map((entry) => v03Message(task, entry)),
    ...(task.state === 'completed' ? { artifacts: [v03Artifact(task)] } : {}),
  };
}
function v03Events(task: Task): unknown[] {
  const ids = { taskId: task.id, contextId: task.contextId };
  return [
    ...(task.state === 'completed' ? [{ kind: 'artifact-update', ...ids, artifact: v03Artifact(task), append: false, lastChunk: true }] : []),
    { kind: 'status-update', ...ids, status: v03Status(task), final: true },
  ];
}

const V1_STATES = { working: 'TASK_STATE_WORKING', completed: 'TASK_STATE_COMPLETED', failed: 'TASK_STATE_FAILED' } as const;
const V1_ROLES = { user: 'ROLE_USER', agent: 'ROLE_AGENT' } as const;
function v1Message(task: Task, entry: Entry) {
  return { messageId: entry.messageId, role: V1_ROLES[entry.role], parts: [{ text: entry.text, mediaType: 'text/plain' }], taskId: task.id, contextId: task.contextId };
}
function v1Status(task: Task) {
  return { state: V1_STATES[task.state], timestamp: task.timestamp, ...(task.state === 'working' ? {} : { message: v1Message(task, task.history.at(-1)!) }) };
}
function v1Artifact(task: Task) {
  return { artifactId: `${task.id}-output`, name: 'output', parts: [{ text: task.output, mediaType: 'text/plain' }] };
}
function v1Task(task: Task, historyLength?: number, includeArtifacts = true): Record<string, unknown> {
  return {
    id: task.id, contextId: task.contextId, status: v1Status(task),
    history: recent(task, historyLength).map((entry) => v1Message(task, entry)),
    ...(task.state === 'completed' && includeArtifacts ? { artifacts: [v1Artifact(task)] } : {}),
  };
}
function v1Events(task: Task): unknown[] {
  const ids = { taskId: task.id, contextId: task.contextId };
  return [
    ...(task.state === 'completed' ? [{ artifactUpdate: { ...ids, artifact: v1Artifact(task), lastChunk: true } }] : []),
    { statusUpdate: { ...ids, status: v1Status(task) } },
  ];
}

/** ListTasks: most recently updated first, paged by a cursor ("updated before #n"). */
function listTasks(params: Params): Record<string, unknown> {
  const pageSize = intParam(params, 'pageSize', 1, 100) ?? 50;
  const historyLength = intParam(params, 'historyLength', 0, 2 ** 31);
  const token = typeof params.pageToken === 'string' ? params.pageToken : '';
  const before = token ? Number(token) : Number.POSITIVE_INFINITY;
  if (!Number.isSafeInteger(before) && before !== Number.POSITIVE_INFINITY) {
    throw new RpcError(INVALID_PARAMS, `invalid pageToken ${JSON.stringify(token.slice(0, 64))}: pass the nextPageToken of the previous page`);
  }
  const state = typeof params.status === 'string' && params.status !== 'TASK_STATE_UNSPECIFIED' ? params.status : '';
  if (state && !Object.values(V1_STATES).includes(state as never)) throw new RpcError(INVALID_PARAMS, `invalid status filter ${JSON.stringify(state)}`);
  const after = typeof params.statusTimestampAfter === 'string' ? params.statusTimestampAfter : '';
  const matching = [...tasks.values()].reverse().filter((task) =>
    (!params.contextId || task.contextId === params.contextId) && (!state || V1_STATES[task.state] === state) && (!after || task.timestamp > after));
  const rest = matching.filter((task) => task.sequence < before);
  const page = rest.slice(0, pageSize);
  return {
    tasks: page.map((task) => v1Task(task, historyLength, params.includeArtifacts === true)),
    nextPageToken: rest.length > pageSize ? String(page.at(-1)!.sequence) : '',
    pageSize,
    totalSize: matching.length,
  };
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
  let legacy = true;
  try {
    if (!authorized(request.headers.authorization)) throw new RpcError(-32001, 'unauthorized: send Authorization: Bearer $LIGHTNING_TOKEN', 401);
    legacy = wireVersion(request.headers['a2a-version']) === '0.3';
    const contentType = (request.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
    if (contentType !== 'application/json' && contentType !== 'application/a2a+json') {
      throw new RpcError(CONTENT_TYPE_NOT_SUPPORTED, `content-type must be application/json (got ${contentType || 'none'})`, 415);
    }
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
    const action = Object.hasOwn(METHODS, body.method) ? METHODS[body.method] : undefined;
    if (!action) throw new RpcError(-32601, `Method not found: ${body.method}`);
    const params = paramsOf(body);
    const result = (value: unknown) => sendJson(response, 200, { jsonrpc: '2.0', id, result: value });
    switch (action) {
      case 'push':
        throw new RpcError(PUSH_NOT_SUPPORTED, 'Push notifications are not supported by this agent');
      case 'extendedCard':
        throw new RpcError(UNSUPPORTED, 'This agent has no extended agent card');
      case 'get': {
        const task = findTask(params.id);
        const historyLength = intParam(params, 'historyLength', 0, 2 ** 31);
        return result(legacy ? v03Task(task, historyLength) : v1Task(task, historyLength));
      }
      case 'list':
        return result(listTasks(params));
      case 'cancel': {
        const task = findTask(params.id);
        throw new RpcError(TASK_NOT_CANCELABLE, `Task not cancelable: ${task.id} is ${task.state}`);
      }
      case 'subscribe': {
        const task = findTask(params.id);
        if (task.state !== 'working') throw new RpcError(UNSUPPORTED, `Task ${task.id} is in a terminal state (${task.state}) and cannot be subscribed to`);
        return await stream(response, id, legacy, task);
      }
      case 'send':
      case 'stream': {
        const input = incomingMessage(params);
        const configuration = (typeof params.configuration === 'object' && params.configuration !== null ? params.configuration : {}) as Params;
        const historyLength = intParam(configuration, 'historyLength', 0, 2 ** 31);
        if (inflight >= CAPACITY) throw new RpcError(-32000, `at capacity: ${inflight} of ${CAPACITY} tasks in flight`, 503);
        inflight += 1;
        const task = newTask(input.text, input.messageId, input.contextId);
        const running = runTask(task).finally(() => (inflight -= 1));
        if (action === 'stream') return await stream(response, id, legacy, task);
        if (!(configuration.returnImmediately === true || configuration.blocking === false)) await running;
        return result(legacy ? v03Task(task, historyLength) : { task: v1Task(task, historyLength) });
      }
      default: {
        const unreachable: never = action;
        throw new Error(`unhandled ${String(unreachable)}`);
      }
    }
  } catch (error) {
    if (!(error instanceof RpcError)) throw error;
    const headers: Record<string, string> = error.status === 401 ? { 'www-authenticate': 'Bearer' } : error.status === 503 ? { 'retry-after': '1' } : {};
    sendJson(response, error.status, { jsonrpc: '2.0', id, error: errorBody(error, legacy) }, headers);
  }
}

/** SSE: the task as it is (so the caller learns its id), then its end. */
async function stream(response: http.ServerResponse, id: unknown, legacy: boolean, task: Task): Promise<void> {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (result: unknown) => {
    if (!response.destroyed) response.write(`data: ${JSON.stringify({ jsonrpc: '2.0', id, result })}\n\n`);
  };
  send(legacy ? v03Task(task) : { task: v1Task(task) });
  await task.done;
  for (const event of legacy ? v03Events(task) : v1Events(task)) send(event);
  response.end();
}

const server = http.createServer((request, response) => {
  // Without query and trailing slashes: clients joining a base URL and a path send /a2a/jsonrpc/.
  const route = (request.url ?? '/').split('?', 1)[0]!.replace(/\/+$/, '') || '/';
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
  // A JSON-RPC error object even here: A2A clients read every error body as one.
  sendJson(response, 404, { jsonrpc: '2.0', id: null, error: { code: -32601, message: `no route ${request.method} ${route} (A2A JSON-RPC is POST ${RPC_PATH})` } });
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
