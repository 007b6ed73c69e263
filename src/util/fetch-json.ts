import { httpGet } from './http-get.js';

export type FetchJsonResult = { ok: true; value: unknown } | { ok: false; error: string };

/** Cards are a few KB; anything this big is not one. */
const MAX_DOCUMENT_BYTES = 1024 * 1024;

/**
 * GET a small JSON document (an agent card) with the supervisor's client for small GETs
 * (http-get.ts); every failure is a sentence, never a throw. The deadline covers connecting, the
 * headers and the body.
 */
export async function fetchJson(url: string, options: { timeoutMs: number; headers?: Record<string, string> }): Promise<FetchJsonResult> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return { ok: false, error: `invalid URL (${url})` };
  }
  try {
    const { status, body } = await httpGet(target, { timeoutMs: options.timeoutMs, maxBodyBytes: MAX_DOCUMENT_BYTES, ...(options.headers ? { headers: options.headers } : {}) });
    if (body === null) return { ok: false, error: `the document is over 1 MB (${url})` };
    if (status !== 200) return { ok: false, error: `HTTP ${status} from ${url}` };
    try {
      return { ok: true, value: JSON.parse(body.toString('utf8')) as unknown };
    } catch {
      return { ok: false, error: `${url} did not answer with JSON` };
    }
  } catch (error) {
    return { ok: false, error: `${(error as NodeJS.ErrnoException).code ?? (error as Error).message} (${url})` };
  }
}
