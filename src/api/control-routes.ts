import type http from 'node:http';
import type { ControlAction, ControlAnswer, ControlFailure, ControlRequest } from '../protocol/control.js';
import { sendJson } from '../util/http.js';
import { readJsonBody } from './body.js';

/** `POST /v1/agents/:name/restart|stop|start`, body `{"instance": i}` optional (all instances). */
const CONTROL_ROUTE = /^\/v1\/agents\/([^/]+)\/(restart|stop|start)$/;

/** A control body is `{}` or `{"instance": 0}`. */
const MAX_CONTROL_BODY = 1024;

export function isControlRoute(path: string): boolean {
  return CONTROL_ROUTE.test(path);
}

const STATUS_OF: Record<ControlFailure, number> = {
  'unknown-agent': 404,
  'unknown-instance': 404,
  'not-local': 409,
  stopping: 503,
};

export async function handleControlRoute(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  path: string,
  control: (request: ControlRequest) => Promise<ControlAnswer>,
): Promise<void> {
  const match = CONTROL_ROUTE.exec(path)!;
  const agent = decodeURIComponent(match[1]!);
  const action = match[2] as ControlAction;
  if (request.method !== 'POST') {
    response.setHeader('allow', 'POST');
    return sendJson(response, 405, { error: 'method_not_allowed', message: `${request.method} ${path}: use POST` });
  }
  let instance: number | null = null;
  const hasBody = Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
  if (hasBody) {
    const body = await readJsonBody(request, MAX_CONTROL_BODY);
    if (!body.ok) return sendJson(response, body.status, { error: body.error, message: body.message });
    const value = body.value as { instance?: unknown } | null;
    if (typeof value !== 'object' || value === null || Array.isArray(value) || Object.keys(value).some((key) => key !== 'instance')) {
      return sendJson(response, 400, { error: 'bad_request', message: 'the body is {} or {"instance": <number>} (omit it for every instance)' });
    }
    if (value.instance !== undefined && value.instance !== null) {
      if (!Number.isInteger(value.instance) || (value.instance as number) < 0) {
        return sendJson(response, 400, { error: 'bad_request', message: `"instance" must be an instance number (0, 1, …), not ${JSON.stringify(value.instance)}` });
      }
      instance = value.instance as number;
    }
  } else {
    request.resume();
  }
  const result = await control({ action, agent, instance });
  if (!result.ok) return sendJson(response, STATUS_OF[result.reason], { error: result.reason.replace('-', '_'), message: result.message });
  return sendJson(response, 200, result.document);
}
