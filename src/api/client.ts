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
