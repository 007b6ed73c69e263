import type http from 'node:http';
import { MAX_API_BODY_BYTES } from '../config/defaults.js';
import { readBoundedBody } from '../util/body.js';

/** Task inputs can be long documents; anything beyond this is refused before parsing. */
export const MAX_BODY_BYTES = MAX_API_BODY_BYTES;

export type BodyResult = { ok: true; value: unknown } | { ok: false; status: number; error: string; message: string };

/** Reads a JSON request body with a size limit; every failure is a 4xx with a reason. */
export async function readJsonBody(request: http.IncomingMessage, limit = MAX_BODY_BYTES): Promise<BodyResult> {
  const type = request.headers['content-type'] ?? '';
  if (!type.includes('application/json')) {
    request.resume();
    return { ok: false, status: 415, error: 'unsupported_media_type', message: 'send the body as JSON with content-type: application/json' };
  }
  let body: Buffer | null;
  try {
    body = await readBoundedBody(request, limit);
  } catch {
    return { ok: false, status: 400, error: 'bad_request', message: 'the request body could not be read' };
  }
  if (body === null) return { ok: false, status: 413, error: 'body_too_large', message: `the body is over ${limit} bytes` };
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) as unknown };
  } catch (error) {
    return { ok: false, status: 400, error: 'malformed_json', message: `the body is not valid JSON: ${(error as Error).message}` };
  }
}
