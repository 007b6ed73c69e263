import type { ModelSettingsDocument } from '../protocol/model-settings.js';
import http from 'node:http';
import { API_CLIENT } from '../config/defaults.js';
import { routePath } from '../protocol/api-routes.js';
import type { ControlAction, ControlDocument } from '../protocol/control.js';
import type { StatusDocument } from '../protocol/status.js';
import type { TaskEvent } from '../protocol/events.js';
import type { TaskResult, TaskStatus } from '../protocol/task.js';
import type { RouteDecision } from '../router/router.js';
import type { SpendRow, StatsRow } from '../ledger/stats.js';
import type { SupervisorInfo } from '../state/supervisor-file.js';
import { ExitError } from '../util/exit-error.js';
import { SSE_CONTENT_TYPE, SseDecoder } from '../util/sse.js';
import type { SseFrame } from '../util/sse.js';

export interface ApiResponse<T> {
  status: number;
  body: T;
}

/** A small JSON client for the control API; node:http keeps the CLI's import cost near zero. */
export function apiRequest<T>(
  info: Pick<SupervisorInfo, 'api' | 'token'>,
  method: string,
  path: string,
  options: { body?: unknown; timeoutMs?: number } = {},
): Promise<ApiResponse<T>> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${info.api}${path}`,
      {
        method,
        headers: {
          authorization: `Bearer ${info.token}`,
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
        timeout: options.timeoutMs ?? API_CLIENT.timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: response.statusCode ?? 0, body: (text ? JSON.parse(text) : null) as T });
          } catch {
            reject(new Error(`supervisor at ${info.api} sent invalid JSON (HTTP ${response.statusCode})`));
          }
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`supervisor at ${info.api} did not answer within ${options.timeoutMs ?? API_CLIENT.timeoutMs} ms`)));
    request.on('error', reject);
    request.end(payload);
  });
}

/** What the API answers instead of a result: an error code and the sentence to show. */
export interface ApiError {
  error?: string;
  message?: string;
}

/** The body of a task submission (`POST /v1/tasks`). */
export interface SubmitBody {
  input: string;
  agent?: string;
  timeoutMs?: number;
  wait?: boolean;
  /** Plan it into subtasks for several agents. */
  team?: boolean;
  /** What it may spend; each limit given replaces the agent's. */
  budget?: { tokens?: number; cost?: number; timeMs?: number };
}

/**
 * The control API as the CLI calls it, one typed method per route: every command goes through
 * here, with paths from the route table (protocol/api-routes.ts), never literal ones.
 */
export class ApiClient {
  constructor(private readonly info: Pick<SupervisorInfo, 'api' | 'token'>) {}

  status(options: { timeoutMs?: number } = {}): Promise<ApiResponse<StatusDocument & ApiError>> {
    return apiRequest(this.info, 'GET', routePath('status'), options);
  }

  listTasks(query: { limit: number; status?: TaskStatus | undefined }): Promise<ApiResponse<{ tasks: TaskResult[] } & ApiError>> {
    return apiRequest(this.info, 'GET', routePath('listTasks', {}, { limit: query.limit, status: query.status }));
  }

  getTask(id: string): Promise<ApiResponse<TaskResult & ApiError>> {
    return apiRequest(this.info, 'GET', routePath('getTask', { id }));
  }

  submitTask(body: SubmitBody): Promise<ApiResponse<TaskResult & ApiError>> {
    return apiRequest(this.info, 'POST', routePath('submitTask'), { body });
  }

  /** Submits and follows the task as SSE: its events (a team's steps' too), then `result` — or `error`, when refused. */
  streamTask(body: SubmitBody, onEvent: (event: TaskStreamEvent) => void): { done: Promise<number>; abort(): void } {
    return streamRequest(this.info, 'POST', routePath('submitTask'), body, (frame) => onEvent(taskStreamEvent(frame)));
  }

  cancelTask(id: string): Promise<ApiResponse<{ id?: string; status?: string; task?: TaskResult } & ApiError>> {
    return apiRequest(this.info, 'POST', routePath('cancelTask', { id }));
  }

  /** A person's decision on the tool call task `id` waits with. */
  decideApproval(id: string, verdict: 'approved' | 'denied', note: string | null): Promise<ApiResponse<{ id?: string; verdict?: string; task?: TaskResult } & ApiError>> {
    return apiRequest(this.info, 'POST', routePath(verdict === 'approved' ? 'approveTask' : 'denyTask', { id }), { body: { note, from: 'cli' } });
  }

  feedback(id: string, rating: 'good' | 'bad', note: string | null): Promise<ApiResponse<ApiError>> {
    return apiRequest(this.info, 'POST', routePath('feedback', { id }), { body: { rating, note } });
  }

  route(input: string, agent?: string): Promise<ApiResponse<RouteDecision & ApiError>> {
    return apiRequest(this.info, 'POST', routePath('route'), { body: { input, ...(agent ? { agent } : {}) } });
  }

  stats(sinceMs: number | null): Promise<ApiResponse<{ since?: string | null; rows?: StatsRow[]; spend?: SpendRow[] } & ApiError>> {
    return apiRequest(this.info, 'GET', routePath('stats', {}, { sinceMs: sinceMs ?? undefined }));
  }

  reload(options: { timeoutMs: number }): Promise<ApiResponse<{ status?: string; summary?: string } & ApiError>> {
    return apiRequest(this.info, 'POST', routePath('reload'), options);
  }

  shutdown(): Promise<ApiResponse<{ status?: string } & ApiError>> {
    return apiRequest(this.info, 'POST', routePath('shutdown'));
  }

  /** What the fleet's agents see of their model settings (never a key). */
  modelSettings(options: { timeoutMs?: number } = {}): Promise<ApiResponse<ModelSettingsDocument & ApiError>> {
    return apiRequest(this.info, 'GET', routePath('modelSettings'), options);
  }

  dashboardLogin(): Promise<ApiResponse<{ url?: string; expiresInMs?: number } & ApiError>> {
    return apiRequest(this.info, 'POST', routePath('dashboardLogin'));
  }

  /** `restart|stop|start` of an agent, or of one instance of it. */
  control(action: ControlAction, agent: string, instance: number | null, options: { timeoutMs: number }): Promise<ApiResponse<ControlDocument & ApiError>> {
    return apiRequest(this.info, 'POST', routePath(action, { agent }), { body: instance === null ? {} : { instance }, ...options });
  }
}

/** `GET /v1/agents`: the fleet's status document. */
export async function fetchStatus(info: { api: string; token: string }): Promise<StatusDocument> {
  const response = await new ApiClient(info).status();
  if (response.status !== 200) throw new ExitError(`supervisor answered HTTP ${response.status} to GET /v1/agents`);
  return response.body;
}

/** GET /healthz without auth: is something answering, and is it the pid we expect? */
export function pingSupervisor(api: string, timeoutMs: number = API_CLIENT.pingTimeoutMs): Promise<{ pid: number } | null> {
  return new Promise((resolve) => {
    const request = http.get(`${api}/healthz`, { timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { pid?: number };
          resolve(typeof body.pid === 'number' ? { pid: body.pid } : null);
        } catch {
          resolve(null);
        }
      });
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(null));
  });
}

/** One server-sent event, its data parsed (JSON, or the text when it is not JSON). */
export interface SseEvent {
  event: string;
  data: unknown;
}

/**
 * What a task stream (`POST /v1/tasks` as SSE) hands a command: each of the task's events as the
 * supervisor sent it (the one FleetEvent/TaskEvent union), then the task's `result`; or `error`
 * when the supervisor answered with an error instead of a stream.
 */
export type TaskStreamEvent = TaskEvent | { event: 'result'; result: TaskResult } | { event: 'error'; error: ApiError };

/**
 * A task stream's frame, typed: the supervisor writes each event's own JSON as the frame's data
 * (api/task-routes.ts), named by its `event`; `result` and `error` carry a task and an API error.
 * The one place the wire's JSON becomes a typed event.
 */
function taskStreamEvent(frame: SseEvent): TaskStreamEvent {
  const data = isRecord(frame.data) ? frame.data : { message: String(frame.data) };
  if (frame.event === 'result') return { event: 'result', result: data as unknown as TaskResult };
  if (frame.event === 'error' || typeof data['event'] !== 'string') return { event: 'error', error: data as ApiError };
  return data as unknown as TaskEvent;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A request whose answer is an SSE stream (POST /v1/tasks with Accept: text/event-stream, or
 * GET /v1/events). Calls onEvent for each event; resolves when the server ends the stream.
 */
export function streamRequest(
  info: Pick<SupervisorInfo, 'api' | 'token'>,
  method: string,
  path: string,
  body: unknown,
  onEvent: (event: SseEvent) => void,
): { done: Promise<number>; abort(): void } {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  let request: http.ClientRequest;
  const done = new Promise<number>((resolve, reject) => {
    request = http.request(`${info.api}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${info.token}`,
        accept: SSE_CONTENT_TYPE,
        ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
      },
    });
    request.on('response', (response) => {
      const type = String(response.headers['content-type'] ?? '');
      if (!type.includes(SSE_CONTENT_TYPE)) {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        response.on('end', () => {
          try {
            onEvent({ event: 'error', data: JSON.parse(text) as unknown });
          } catch {
            onEvent({ event: 'error', data: { message: text } });
          }
          resolve(response.statusCode ?? 0);
        });
        return;
      }
      const decoder = new SseDecoder();
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        for (const frame of decoder.push(chunk)) onEvent(toSseEvent(frame));
      });
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(payload);
  });
  return { done, abort: () => request.destroy() };
}

/** A decoded frame with its data parsed as JSON (as text when it is not JSON); unnamed = "message". */
function toSseEvent(frame: SseFrame): SseEvent {
  const event = frame.event ?? 'message';
  try {
    return { event, data: JSON.parse(frame.data) as unknown };
  } catch {
    return { event, data: frame.data };
  }
}
