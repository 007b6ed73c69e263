import http from 'node:http';
import https from 'node:https';
import type { HealthBody, ProbeFn } from './health-prober.js';

/** One keep-alive connection per instance is reused across probes. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
/** Remote agents may sit behind TLS. */
const tlsAgent = new https.Agent({ keepAlive: true, maxSockets: 1 });

export const httpProbe: ProbeFn = (url, timeoutMs) =>
  new Promise((resolve) => {
    const started = performance.now();
    const tls = url.startsWith('https:');
    const get = tls ? https.get : http.get;
    const request = get(url, { agent: tls ? tlsAgent : agent, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        const latencyMs = performance.now() - started;
        if (response.statusCode !== 200) resolve({ ok: false, latencyMs, error: `HTTP ${response.statusCode} from ${url}`, status: response.statusCode ?? 0 });
        else resolve({ ok: true, latencyMs, body: parseBody(body) });
      });
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    request.on('error', (error: NodeJS.ErrnoException) => {
      const message = error.code === 'ETIMEDOUT' ? `timed out after ${timeoutMs} ms` : error.code ?? error.message;
      resolve({ ok: false, latencyMs: performance.now() - started, error: `${message} (${url})` });
    });
  });

function parseBody(text: string): HealthBody | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as HealthBody) : null;
  } catch {
    return null;
  }
}
