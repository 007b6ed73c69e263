import net from 'node:net';
import { httpGet } from '../util/http-get.js';
import type { HealthBody, ProbeFn } from './health-prober.js';

/**
 * GET /health over node:http (util/http-get.ts: why not undici, the task path's client). The
 * deadline covers connecting, the headers and the body.
 */
export const httpProbe: ProbeFn = async (url, timeoutMs, options) => {
  const started = performance.now();
  const failed = (error: string, status?: number) => ({ ok: false as const, latencyMs: performance.now() - started, error, ...(status === undefined ? {} : { status }) });
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return failed(`invalid URL (${url})`);
  }
  if (options?.knock) {
    const refused = await knock(target, timeoutMs);
    if (refused) return failed(`${refused} (${url})`);
  }
  try {
    const { status, body } = await httpGet(target, { timeoutMs: Math.max(1, timeoutMs - (performance.now() - started)), maxBodyBytes: MAX_BODY_BYTES });
    if (status !== 200) return failed(`HTTP ${status} from ${url}`, status);
    // Over the limit: no health body.
    return { ok: true, latencyMs: performance.now() - started, body: body === null ? null : parseBody(body.toString('utf8')) };
  } catch (error) {
    return failed(`${(error as NodeJS.ErrnoException).code ?? (error as Error).message} (${url})`);
  }
};

/** Health answers are a few hundred bytes; a bigger one is not read as a health body. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * A bare TCP connect to the URL's host and port, closed at once: the error code when nothing
 * accepts it (ECONNREFUSED, as a starting worker's port answers), null when something does.
 */
function knock(target: URL, timeoutMs: number): Promise<string | null> {
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.hostname.replace(/^\[|\]$/g, ''), port });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      resolve(`timed out after ${timeoutMs} ms`);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(null);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

function parseBody(text: string): HealthBody | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as HealthBody) : null;
  } catch {
    return null;
  }
}
