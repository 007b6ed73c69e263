import http from 'node:http';
import { readBoundedBody } from './body.js';

/**
 * The supervisor's small GETs — /health probes and agent cards — over node:http with keep-alive
 * agents (one connection per instance, kept across probes; https, for remote agents, through
 * node:https loaded when first needed). Not undici, the task path's client: these are the only
 * requests the supervisor makes before its fleet is up and while it sits idle, and undici (its
 * wasm HTTP parser included) costs ~20 ms of CPU to load and first use, ~2.5× node:http's CPU
 * per probe after that, and ~18 MiB of memory (measured on the bench machine) — taken from the
 * booting workers at start and from an idle fleet (bench/idle.js). The deadline covers
 * connecting, the headers and the body.
 */
export async function httpGet(target: URL, options: HttpGetOptions): Promise<HttpGetAnswer> {
  const { module, agent } = await clientFor(target);
  return new Promise((resolve, reject) => {
    const request = module.get(target, { agent, headers: options.headers ?? {} }, (response) => {
      response.on('close', () => {
        if (!response.complete) fail(new Error('the connection closed before the answer ended'));
      });
      // Over the limit: no body; the rest is read and dropped, which keeps the connection.
      readBoundedBody(response, options.maxBodyBytes).then((body) => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, body });
      }, fail);
    });
    const timer = setTimeout(() => request.destroy(new Error(`timed out after ${options.timeoutMs} ms`)), options.timeoutMs);
    timer.unref();
    function fail(error: Error): void {
      clearTimeout(timer);
      reject(error);
    }
    request.on('error', fail);
  });
}

export interface HttpGetOptions {
  timeoutMs: number;
  /** A longer body is not read into memory: the answer's body is then null. */
  maxBodyBytes: number;
  headers?: Record<string, string>;
}

export interface HttpGetAnswer {
  status: number;
  /** Null when it was over `maxBodyBytes`. */
  body: Buffer | null;
}

const agents: { http: http.Agent; https: http.Agent | null } = { http: new http.Agent({ keepAlive: true }), https: null };

async function clientFor(target: URL): Promise<{ module: typeof http; agent: http.Agent }> {
  if (target.protocol !== 'https:') return { module: http, agent: agents.http };
  const https = await import('node:https');
  agents.https ??= new https.Agent({ keepAlive: true });
  return { module: https as unknown as typeof http, agent: agents.https };
}
