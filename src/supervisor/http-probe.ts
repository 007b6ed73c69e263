import http from 'node:http';
import net from 'node:net';
import { readBoundedBody } from '../util/body.js';
import type { HealthBody, ProbeFn } from './health-prober.js';

/**
 * GET /health over node:http with a keep-alive agent: one connection per instance, kept across
 * probes (https, for remote agents, through node:https loaded when first needed). Not undici, the
 * task path's client: the probe is the one request the supervisor makes before its fleet is up,
 * and undici (its wasm HTTP parser included) costs ~20 ms of CPU to load and first use and
 * ~2.5× node:http's CPU per probe after that (measured on the bench machine), taken from the
 * booting workers at start and from the idle supervisor every second. The deadline covers
 * connecting, the headers and the body.
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
    const { status, text } = await get(target, Math.max(1, timeoutMs - (performance.now() - started)));
    if (status !== 200) return failed(`HTTP ${status} from ${url}`, status);
    return { ok: true, latencyMs: performance.now() - started, body: parseBody(text) };
  } catch (error) {
    return failed(`${(error as NodeJS.ErrnoException).code ?? (error as Error).message} (${url})`);
  }
};

/** Health answers are a few hundred bytes; a bigger one is not read as a health body. */
const MAX_BODY_BYTES = 64 * 1024;

const agents: { http: http.Agent; https: http.Agent | null } = { http: new http.Agent({ keepAlive: true }), https: null };

async function clientFor(target: URL): Promise<{ module: typeof http; agent: http.Agent }> {
  if (target.protocol !== 'https:') return { module: http, agent: agents.http };
  const https = await import('node:https');
  agents.https ??= new https.Agent({ keepAlive: true });
  return { module: https as unknown as typeof http, agent: agents.https };
}

async function get(target: URL, timeoutMs: number): Promise<{ status: number; text: string }> {
  const { module, agent } = await clientFor(target);
  return new Promise((resolve, reject) => {
    const request = module.get(target, { agent }, (response) => {
      response.on('close', () => {
        if (!response.complete) fail(new Error('the connection closed before the answer ended'));
      });
      // Over the limit: no text (so no health body), the rest read and dropped to keep the connection.
      readBoundedBody(response, MAX_BODY_BYTES).then((body) => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, text: body?.toString('utf8') ?? '' });
      }, fail);
    });
    const timer = setTimeout(() => request.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
    function fail(error: Error): void {
      clearTimeout(timer);
      reject(error);
    }
    request.on('error', fail);
  });
}

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
