import type { TaskEvent } from '../protocol/events.js';
import type http from 'node:http';
import type { TaskResult, TaskStatus } from '../protocol/task.js';
import { TASK_STATUSES } from '../protocol/task.js';
import { allowedMethods } from '../protocol/api-routes.js';
import { MAX_NOTE_CHARS, MAX_TASK_TIMEOUT_MS, SSE_HEARTBEAT_MS } from '../config/defaults.js';
import { sendJson } from '../util/http.js';
import { SSE_CONTENT_TYPE, encodeSse, encodeSseComment, openSseResponse } from '../util/sse.js';
import type { TaskService } from '../tasks/service.js';
import { TaskRequestError } from '../tasks/service.js';
import { readJsonBody } from './body.js';

// The interface lives with the task core; re-exported for the API's other modules.
export type { Submitted, TaskListener, TaskService } from '../tasks/service.js';
export { TaskRequestError } from '../tasks/service.js';

const STATUSES: readonly TaskStatus[] = TASK_STATUSES;

export function isTaskRoute(path: string): boolean {
  return path === '/v1/tasks' || path.startsWith('/v1/tasks/') || path === '/v1/events' || path === '/v1/route' || path === '/v1/stats';
}

/** Handles /v1/tasks… and /v1/events; returns false for any other route. */
export async function handleTaskRoute(request: http.IncomingMessage, response: http.ServerResponse, url: URL, tasks: TaskService | null): Promise<boolean> {
  const method = request.method ?? 'GET';
  const path = url.pathname;
  if (!isTaskRoute(path)) return false;
  if (!tasks) {
    sendJson(response, 503, { error: 'unavailable', message: 'the task ledger could not be opened; see .lightning/supervisor.log' });
    return true;
  }
  if (path === '/v1/events' && method === 'GET') {
    streamEvents(request, response, tasks, url.searchParams.get('task'));
    return true;
  }
  if (path === '/v1/route' && method === 'POST') {
    const body = await readJsonBody(request);
    if (!body.ok) {
      sendJson(response, body.status, { error: body.error, message: body.message });
      return true;
    }
    const { input, agent } = (body.value ?? {}) as { input?: unknown; agent?: unknown };
    if (typeof input !== 'string' || input.trim() === '') return bad(response, 'missing_input', '"input" is required: the task text');
    if (agent !== undefined && typeof agent !== 'string') return bad(response, 'bad_agent', '"agent" must be an agent name');
    try {
      sendJson(response, 200, tasks.route(input, agent));
    } catch (error) {
      if (error instanceof TaskRequestError) return bad(response, 'unknown_agent', error.message);
      throw error;
    }
    return true;
  }
  if (path === '/v1/stats' && method === 'GET') {
    const sinceText = url.searchParams.get('sinceMs');
    const sinceMs = sinceText === null ? null : Number(sinceText);
    if (sinceMs !== null && (!Number.isInteger(sinceMs) || sinceMs < 1)) return bad(response, 'bad_since', 'sinceMs must be a positive integer: the last this many milliseconds');
    const since = sinceMs === null ? null : Date.now() - sinceMs;
    sendJson(response, 200, { since: since === null ? null : new Date(since).toISOString(), rows: tasks.stats(since), spend: tasks.spend(since) });
    return true;
  }
  if (path === '/v1/tasks' && method === 'POST') {
    await submit(request, response, tasks);
    return true;
  }
  if (path === '/v1/tasks' && method === 'GET') {
    const limit = Number(url.searchParams.get('limit') ?? '20');
    const status = url.searchParams.get('status') ?? undefined;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return bad(response, 'bad_limit', 'limit must be an integer from 1 to 10000');
    if (status !== undefined && !STATUSES.includes(status as TaskStatus)) return bad(response, 'bad_status', `status must be one of ${STATUSES.join(', ')}`);
    sendJson(response, 200, { tasks: tasks.list({ limit, status: status as TaskStatus | undefined }) });
    return true;
  }
  const allowed = allowedMethods(path);
  if (allowed && !allowed.includes(method)) {
    response.setHeader('allow', allowed.join(', '));
    sendJson(response, 405, { error: 'method_not_allowed', message: `${method} ${path}: use ${allowed.join(' or ')}` });
    return true;
  }
  const feedback = /^\/v1\/tasks\/([^/]+)\/feedback$/.exec(path);
  if (feedback && method === 'POST') {
    const id = decodeId(feedback[1]!);
    if (id === null) return badId(response);
    await postFeedback(request, response, tasks, id);
    return true;
  }
  const decision = /^\/v1\/tasks\/([^/]+)\/(approve|deny)$/.exec(path);
  if (decision && method === 'POST') {
    const id = decodeId(decision[1]!);
    if (id === null) return badId(response);
    await postDecision(request, response, tasks, id, decision[2] === 'approve' ? 'approved' : 'denied');
    return true;
  }
  const match = /^\/v1\/tasks\/([^/]+)(\/cancel)?$/.exec(path);
  if (!match) return false;
  const id = decodeId(match[1]!);
  if (id === null) return badId(response);
  if (match[2] && method === 'POST') {
    const outcome = tasks.cancel(id);
    if (outcome === 'not-found') return notFound(response, id);
    if (outcome === 'finished') {
      sendJson(response, 409, { error: 'already_finished', message: `task ${id} has already ended`, task: tasks.result(id) });
      return true;
    }
    sendJson(response, 202, { id, status: 'cancelling' });
    return true;
  }
  if (!match[2] && method === 'GET') {
    const result = tasks.result(id);
    if (!result) return notFound(response, id);
    sendJson(response, 200, result);
    return true;
  }
  return false;
}

async function submit(request: http.IncomingMessage, response: http.ServerResponse, tasks: TaskService): Promise<void> {
  if (!tasks.accepting()) {
    sendJson(response, 503, { error: 'stopping', message: 'the supervisor is stopping and takes no new tasks' });
    return;
  }
  const body = await readJsonBody(request);
  if (!body.ok) {
    sendJson(response, body.status, { error: body.error, message: body.message });
    return;
  }
  const value = body.value as Record<string, unknown> | null;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return void bad(response, 'bad_body', 'the body must be a JSON object: {"input": "…"}');
  const { input, agent, timeoutMs, wait, team, budget: budgetValue } = value;
  const budget = readBudget(budgetValue);
  if (typeof budget === 'string') return void bad(response, 'bad_budget', budget);
  if (typeof input !== 'string' || input.trim() === '') return void bad(response, 'missing_input', '"input" is required: the task text, a non-empty string');
  if (agent !== undefined && (typeof agent !== 'string' || agent === '')) return void bad(response, 'bad_agent', '"agent" must be an agent name');
  if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || (timeoutMs as number) < 1 || (timeoutMs as number) > MAX_TASK_TIMEOUT_MS)) {
    return void bad(response, 'bad_timeout', `"timeoutMs" must be an integer from 1 to ${MAX_TASK_TIMEOUT_MS}`);
  }
  if (wait !== undefined && typeof wait !== 'boolean') return void bad(response, 'bad_wait', '"wait" must be true or false');
  if (team !== undefined && typeof team !== 'boolean') return void bad(response, 'bad_team', '"team" must be true or false');
  if (team === true && agent !== undefined) return void bad(response, 'bad_team', 'a team task is planned across agents: give "team" or "agent", not both');
  const streaming = (request.headers.accept ?? '').includes(SSE_CONTENT_TYPE);
  // A caller that traces (W3C traceparent) gets the task's spans in its own trace.
  const traceparent = typeof request.headers.traceparent === 'string' ? request.headers.traceparent : undefined;
  let id: string;
  let durable: () => Promise<void>;
  try {
    if (streaming) {
      // With SSE the client must see every event of the task: its listener is on before it starts,
      // and holds the events until the stream is open.
      const buffered: TaskEvent[] = [];
      let forward: ((event: TaskEvent) => void) | null = null;
      const submitted = await tasks.submit({ input, agent: agent as string | undefined, timeoutMs: timeoutMs as number | undefined, team: team as boolean | undefined, budget, traceparent }, (event) =>
        forward ? forward(event) : buffered.push(event),
      );
      id = submitted.id;
      openSse(response);
      const write = (event: TaskEvent) => writeSse(response, event.event, event);
      for (const event of buffered) write(event);
      forward = write;
      request.once('close', submitted.unsubscribe);
      const result = await tasks.whenDone(id);
      submitted.unsubscribe();
      writeSse(response, 'result', result);
      response.end();
      return;
    }
    ({ id, durable } = await tasks.submit({ input, agent: agent as string | undefined, timeoutMs: timeoutMs as number | undefined, team: team as boolean | undefined, budget, traceparent }));
  } catch (error) {
    if (error instanceof TaskRequestError) return void bad(response, 'unknown_agent', error.message);
    throw error;
  }
  if (wait === true) {
    sendJson(response, 200, await tasks.whenDone(id));
    return;
  }
  // A 202 promises the task is recorded: wait for its line to be on disk. (With wait or SSE the
  // terminal event, written after it, is awaited anyway.)
  await durable();
  sendJson(response, 202, tasks.result(id) ?? { id, status: 'submitted' });
}

/** `budget` of a submission: `{tokens?, cost?, timeMs?}`, or what is wrong with it. */
function readBudget(value: unknown): { tokens?: number; cost?: number; timeMs?: number } | undefined | string {
  if (value === undefined) return undefined;
  const usage = '"budget" must be an object {"tokens": integer ≥ 1, "cost": dollars > 0, "timeMs": integer ≥ 1}, each optional';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return usage;
  const { tokens, cost, timeMs, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0) return `${usage}; unknown key ${Object.keys(rest)[0]}`;
  if (tokens !== undefined && (!Number.isInteger(tokens) || (tokens as number) < 1)) return usage;
  if (cost !== undefined && (typeof cost !== 'number' || !(cost > 0) || !Number.isFinite(cost))) return usage;
  if (timeMs !== undefined && (!Number.isInteger(timeMs) || (timeMs as number) < 1)) return usage;
  return { ...(tokens !== undefined ? { tokens: tokens as number } : {}), ...(cost !== undefined ? { cost } : {}), ...(timeMs !== undefined ? { timeMs: timeMs as number } : {}) };
}

async function postFeedback(request: http.IncomingMessage, response: http.ServerResponse, tasks: TaskService, id: string): Promise<void> {
  const body = await readJsonBody(request);
  if (!body.ok) return sendJson(response, body.status, { error: body.error, message: body.message });
  const { rating, note: given } = (body.value ?? {}) as { rating?: unknown; note?: unknown };
  if (rating !== 'good' && rating !== 'bad') return void bad(response, 'bad_rating', '"rating" must be "good" or "bad"');
  const note = readNote(given);
  if (note === undefined) return void bad(response, 'bad_note', NOTE_USAGE);
  const outcome = await tasks.feedback(id, rating, note);
  if (outcome === 'not-found') return void notFound(response, id);
  if (outcome === 'not-finished') return sendJson(response, 409, { error: 'not_finished', message: `task ${id} is still running; give feedback once it has ended` });
  sendJson(response, 201, { id, rating, note: note ?? null });
}

/**
 * `POST /v1/tasks/:id/approve|deny {note?, from?}`: a person's decision on the tool call the task
 * waits with. Only here, behind the control token: never over A2A, never from an agent.
 */
async function postDecision(request: http.IncomingMessage, response: http.ServerResponse, tasks: TaskService, id: string, verdict: 'approved' | 'denied'): Promise<void> {
  const body = await readJsonBody(request);
  if (!body.ok) return sendJson(response, body.status, { error: body.error, message: body.message });
  const { note: given, from } = (body.value ?? {}) as { note?: unknown; from?: unknown };
  const read = readNote(given);
  if (read === undefined) return void bad(response, 'bad_note', NOTE_USAGE);
  const note = read === '' ? null : read;
  if (from !== undefined && from !== 'cli' && from !== 'dashboard' && from !== 'api') return void bad(response, 'bad_from', '"from" must be "cli", "dashboard" or "api"');
  const outcome = tasks.decideApproval(id, verdict, from ?? 'api', note);
  if (outcome === 'not-found') return void notFound(response, id);
  if (outcome === 'not-waiting') {
    const task = tasks.result(id);
    return sendJson(response, 409, { error: 'not_awaiting_approval', message: `task ${id} is not awaiting approval (it is ${task?.status ?? 'unknown'})`, task });
  }
  sendJson(response, 200, { id, verdict, note });
}

const NOTE_USAGE = `"note" must be a string of at most ${MAX_NOTE_CHARS} characters`;

/** A person's note: the string, null when none is given, undefined when it is not a note. */
function readNote(value: unknown): string | null | undefined {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' && value.length <= MAX_NOTE_CHARS ? value : undefined;
}

function streamEvents(request: http.IncomingMessage, response: http.ServerResponse, tasks: TaskService, taskFilter: string | null): void {
  openSse(response);
  // A stream of one task listens to that task only: delivery does not grow with the streams open.
  const unsubscribe = tasks.subscribe((event) => writeSse(response, event.event, event), taskFilter === null ? {} : { taskId: taskFilter });
  const heartbeat = setInterval(() => response.write(encodeSseComment('keep-alive')), SSE_HEARTBEAT_MS);
  request.once('close', () => {
    clearInterval(heartbeat);
    unsubscribe();
  });
}

function openSse(response: http.ServerResponse): void {
  openSseResponse(response);
  response.write(encodeSseComment('lightning events'));
}

function writeSse(response: http.ServerResponse, name: string, data: unknown): void {
  if (!response.writableEnded) response.write(encodeSse(data, name));
}

/** A task id from the URL; null when its percent-encoding is broken (decodeURIComponent throws). */
function decodeId(raw: string): string | null {
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}

function badId(response: http.ServerResponse): true {
  return bad(response, 'bad_task_id', 'the task id in the URL is not valid percent-encoding; use the id as `lightning tasks` prints it');
}

function bad(response: http.ServerResponse, error: string, message: string): true {
  sendJson(response, 400, { error, message });
  return true;
}

function notFound(response: http.ServerResponse, id: string): true {
  sendJson(response, 404, { error: 'unknown_task', message: `no task with id ${id}` });
  return true;
}
