import http from 'node:http';
import https from 'node:https';

export type FetchJsonResult = { ok: true; value: unknown } | { ok: false; error: string };

/** GET a small JSON document (an agent card); every failure is a sentence, never a throw. */
export function fetchJson(url: string, options: { timeoutMs: number; headers?: Record<string, string> }): Promise<FetchJsonResult> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? https.get : http.get;
    const request = get(url, { timeout: options.timeoutMs, headers: options.headers ?? {} }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
        // Cards are a few KB; anything this big is not one.
        if (body.length > 1024 * 1024) request.destroy(new Error('the document is over 1 MB'));
      });
      response.on('end', () => {
        if (response.statusCode !== 200) return resolve({ ok: false, error: `HTTP ${response.statusCode} from ${url}` });
        try {
          resolve({ ok: true, value: JSON.parse(body) as unknown });
        } catch {
          resolve({ ok: false, error: `${url} did not answer with JSON` });
        }
      });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    request.on('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, error: `${error.code ?? error.message} (${url})` }));
  });
}
