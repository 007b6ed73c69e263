import { loadUndici } from './undici.js';

export type FetchJsonResult = { ok: true; value: unknown } | { ok: false; error: string };

/** Cards are a few KB; anything this big is not one. */
const MAX_DOCUMENT_BYTES = 1024 * 1024;

/**
 * GET a small JSON document (an agent card) over undici, the supervisor's one HTTP client; every
 * failure is a sentence, never a throw. The deadline covers connecting, the headers and the body.
 */
export async function fetchJson(url: string, options: { timeoutMs: number; headers?: Record<string, string> }): Promise<FetchJsonResult> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${options.timeoutMs} ms`, 'TimeoutError')), options.timeoutMs);
  try {
    const { request } = await loadUndici();
    const response = await request(url, { method: 'GET', headers: options.headers ?? {}, signal: controller.signal });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_DOCUMENT_BYTES) {
        response.body.destroy();
        return { ok: false, error: `the document is over 1 MB (${url})` };
      }
      chunks.push(chunk);
    }
    const body = Buffer.concat(chunks, size).toString('utf8');
    if (response.statusCode !== 200) return { ok: false, error: `HTTP ${response.statusCode} from ${url}` };
    try {
      return { ok: true, value: JSON.parse(body) as unknown };
    } catch {
      return { ok: false, error: `${url} did not answer with JSON` };
    }
  } catch (error) {
    const message = isTimeoutError(error) ? `no answer within ${options.timeoutMs} ms` : ((error as NodeJS.ErrnoException).code ?? (error as Error).message);
    return { ok: false, error: `${message} (${url})` };
  } finally {
    clearTimeout(timer);
  }
}

/** A deadline's abort (AbortSignal.timeout, or a TimeoutError reason), or one of undici's own timeouts. */
export function isTimeoutError(error: unknown): boolean {
  const { name, code } = (error ?? {}) as { name?: string; code?: string };
  return name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
}
