import { request } from 'undici';
import { isTimeoutError } from '../util/fetch-json.js';
import type { HealthBody, ProbeFn } from './health-prober.js';

/**
 * GET /health over undici, like every outgoing call of the supervisor: its global dispatcher keeps
 * one connection per instance alive across probes, over TLS for remote agents behind it. The
 * deadline covers connecting, the headers and the body.
 */
export const httpProbe: ProbeFn = async (url, timeoutMs) => {
  const started = performance.now();
  try {
    const response = await request(url, { method: 'GET', signal: AbortSignal.timeout(timeoutMs), headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    const body = await response.body.text();
    const latencyMs = performance.now() - started;
    if (response.statusCode !== 200) return { ok: false, latencyMs, error: `HTTP ${response.statusCode} from ${url}`, status: response.statusCode };
    return { ok: true, latencyMs, body: parseBody(body) };
  } catch (error) {
    const message = isTimeoutError(error) ? `timed out after ${timeoutMs} ms` : ((error as NodeJS.ErrnoException).code ?? (error as Error).message);
    return { ok: false, latencyMs: performance.now() - started, error: `${message} (${url})` };
  }
};

function parseBody(text: string): HealthBody | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as HealthBody) : null;
  } catch {
    return null;
  }
}
