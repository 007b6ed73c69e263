import got from 'got';
import type { HealthBody, ProbeFn } from './health-prober.js';

/**
 * One GET of a worker's health URL. got's own retries are off: a probe that fails is a data
 * point the prober counts, not something to hide.
 */
export const httpProbe: ProbeFn = async (url, timeoutMs) => {
  const started = performance.now();
  try {
    const response = await got(url, {
      timeout: { request: timeoutMs },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
    });
    const latencyMs = performance.now() - started;
    if (response.statusCode !== 200) {
      return { ok: false, latencyMs, error: `HTTP ${response.statusCode} from ${url}` };
    }
    return { ok: true, latencyMs, body: parseBody(response.body) };
  } catch (error) {
    const latencyMs = performance.now() - started;
    const code = (error as { code?: string }).code;
    const message = code === 'ETIMEDOUT' ? `timed out after ${timeoutMs} ms` : code ?? (error as Error).message;
    return { ok: false, latencyMs, error: `${message} (${url})` };
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
