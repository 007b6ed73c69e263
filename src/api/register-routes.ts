import type http from 'node:http';
import type { RegisterResult } from '../supervisor/registrations.js';
import { bearerMatches, sendJson } from '../util/http.js';
import { readJsonBody } from './body.js';

export const REGISTER_PATH = '/v1/agents/register';

/** Registrations are tiny: a URL, a name, a lease. */
const MAX_REGISTER_BODY = 16 * 1024;

export interface RegistrationService {
  register(body: unknown): Promise<RegisterResult>;
  heartbeat(id: string): RegisterResult | null;
  leave(id: string): Promise<boolean>;
}

export function isRegisterRoute(path: string): boolean {
  return path === REGISTER_PATH || path.startsWith(`${REGISTER_PATH}/`);
}

/**
 * `POST /v1/agents/register` (join, or renew the lease: the heartbeat is the same request) and
 * `DELETE /v1/agents/register/:id` (leave). Agents present the join token, not the control
 * token: a joined machine can announce itself but cannot drive the fleet. The control token is
 * accepted too, for an operator registering an agent by hand.
 */
export async function handleRegisterRoute(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  url: URL,
  service: RegistrationService,
  accepted: readonly Buffer[],
): Promise<void> {
  if (!accepted.some((expected) => bearerMatches(request.headers.authorization, expected))) {
    response.setHeader('WWW-Authenticate', 'Bearer');
    return sendJson(response, 401, {
      error: 'unauthorized',
      message: 'registering needs the join token as a bearer token: it is in .lightning/join-token on the supervisor\'s machine (or $LIGHTNING_JOIN_TOKEN there)',
    });
  }
  const method = request.method ?? 'GET';
  if (url.pathname === REGISTER_PATH && method === 'POST') {
    const body = await readJsonBody(request, MAX_REGISTER_BODY);
    if (!body.ok) return sendJson(response, body.status, { error: body.error, message: body.message });
    const result = await service.register(body.value);
    if (!result.ok) return sendJson(response, result.status, { error: result.error, message: result.message });
    const { ok: _ok, created, ...answer } = result;
    return sendJson(response, created ? 201 : 200, answer);
  }
  const beat = new RegExp(`^${REGISTER_PATH}/([^/]+)/heartbeat$`).exec(url.pathname);
  if (beat && method === 'POST') {
    const id = decodeURIComponent(beat[1]!);
    const result = service.heartbeat(id);
    if (!result || !result.ok) return sendJson(response, 404, { error: 'not_found', message: `no lease for ${id}: it expired or was never taken; register again (POST ${REGISTER_PATH})` });
    const { ok: _ok, created: _created, ...answer } = result;
    return sendJson(response, 200, answer);
  }
  if (url.pathname.startsWith(`${REGISTER_PATH}/`) && !url.pathname.endsWith('/heartbeat') && method === 'DELETE') {
    const id = decodeURIComponent(url.pathname.slice(REGISTER_PATH.length + 1));
    return (await service.leave(id))
      ? sendJson(response, 200, { id, status: 'left' })
      : sendJson(response, 404, { error: 'not_found', message: `no registered agent ${id}; ids are in the register answer (e.g. "web_developer#1")` });
  }
  response.setHeader('allow', url.pathname === REGISTER_PATH || beat ? 'POST' : 'DELETE');
  return sendJson(response, 405, { error: 'method_not_allowed', message: `${method} ${url.pathname}: use POST ${REGISTER_PATH} to join or renew, DELETE ${REGISTER_PATH}/<id> to leave` });
}
