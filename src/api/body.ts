import type http from 'node:http';

/** Task inputs can be long documents; anything beyond this is refused before parsing. */
export const MAX_BODY_BYTES = 1024 * 1024;

export type BodyResult = { ok: true; value: unknown } | { ok: false; status: number; error: string; message: string };

/** Reads a JSON request body with a size limit; every failure is a 4xx with a reason. */
export function readJsonBody(request: http.IncomingMessage, limit = MAX_BODY_BYTES): Promise<BodyResult> {
  return new Promise((resolve) => {
    const type = request.headers['content-type'] ?? '';
    if (!type.includes('application/json')) {
      resolve({ ok: false, status: 415, error: 'unsupported_media_type', message: 'send the body as JSON with content-type: application/json' });
      request.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    request.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        resolve({ ok: false, status: 413, error: 'body_too_large', message: `the body is over ${limit} bytes` });
        request.resume();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (done) return;
      done = true;
      try {
        resolve({ ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
      } catch (error) {
        resolve({ ok: false, status: 400, error: 'malformed_json', message: `the body is not valid JSON: ${(error as Error).message}` });
      }
    });
    request.on('error', () => {
      if (!done) resolve({ ok: false, status: 400, error: 'bad_request', message: 'the request body could not be read' });
      done = true;
    });
  });
}
