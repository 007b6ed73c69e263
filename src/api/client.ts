import http from 'node:http';
import type { SupervisorInfo } from '../state/supervisor-file.js';

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
        timeout: options.timeoutMs ?? 5000,
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
    request.on('timeout', () => request.destroy(new Error(`supervisor at ${info.api} did not answer within ${options.timeoutMs ?? 5000} ms`)));
    request.on('error', reject);
    request.end(payload);
  });
}

/** GET /healthz without auth: is something answering, and is it the pid we expect? */
export function pingSupervisor(api: string, timeoutMs = 1000): Promise<{ pid: number } | null> {
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

/** One server-sent event. */
export interface SseEvent {
  event: string;
  data: unknown;
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
        accept: 'text/event-stream',
        ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
      },
    });
    request.on('response', (response) => {
      const type = String(response.headers['content-type'] ?? '');
      if (!type.includes('text/event-stream')) {
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
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let boundary = buffer.indexOf('\n\n');
        while (boundary !== -1) {
          const parsed = parseSseBlock(buffer.slice(0, boundary));
          buffer = buffer.slice(boundary + 2);
          if (parsed) onEvent(parsed);
          boundary = buffer.indexOf('\n\n');
        }
      });
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(payload);
  });
  return { done, abort: () => request.destroy() };
}

function parseSseBlock(block: string): SseEvent | null {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
  }
  if (data.length === 0) return null;
  try {
    return { event, data: JSON.parse(data.join('\n')) as unknown };
  } catch {
    return { event, data: data.join('\n') };
  }
}
