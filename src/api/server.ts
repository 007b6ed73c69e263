import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentCard } from '@a2a-js/sdk';
import { API_ROUTES, allowedMethods } from '../protocol/api-routes.js';
import type { ApiRouteName } from '../protocol/api-routes.js';
import { handleControlRoute, isControlRoute } from './control-routes.js';
import { bearerMatches, sendJson } from '../util/http.js';
import { isLoopback } from '../util/url.js';
import { VERSION } from '../util/version.js';
import { buildFleetCard, buildLegacyFleetCard, isA2ARpcPath } from './a2a-card.js';
import type { FleetA2AEndpoint } from './a2a-endpoint.js';
import { DASHBOARD_HTML, LOGIN_NEEDED_HTML } from './dashboard-page.js';
import { DashboardSessions, SESSION_COOKIE } from './sessions.js';
import { handleRegisterRoute, isRegisterRoute } from './register-routes.js';
import { handleTaskRoute, isTaskRoute } from './task-routes.js';
import type { TaskService } from './task-routes.js';
import { redactResponse } from './redacting-response.js';
import type { RuntimeHandlers } from '../supervisor/runtime.js';

/** What the API serves from: the supervisor's runtime hands these over (one interface, its own). */
export type ControlApiHandlers = RuntimeHandlers;

/** `METHOD path` of each fixed route, as the request handler compares them. */
const ROUTE = Object.fromEntries(Object.entries(API_ROUTES).map(([name, { method, path }]) => [name, `${method} ${path}`])) as Record<ApiRouteName, string>;

/** Idle keep-alive of API connections. */
export const KEEP_ALIVE_MS = 10_000;

export interface ControlApi {
  url: string;
  close(): Promise<void>;
}

/**
 * The supervisor's control API on loopback. Every route but /healthz needs the bearer token from
 * supervisor.json, so another local user cannot drive the fleet.
 */
export async function startControlApi(options: {
  host: string;
  port: number;
  token: string;
  /** What agents present to join; the control token is accepted there too. */
  joinToken: string;
  /** A stable token A2A clients may present instead of the control token ($LIGHTNING_A2A_TOKEN); null for none. */
  a2aToken?: string | null;
  /** Where tasks' workspaces are, so the files a task wrote come back as A2A artifacts. */
  workspacesDir?: string | null;
  /** The supervisor's Secrets service: applied to every response body. */
  redact?: (text: string) => string;
  handlers: ControlApiHandlers;
}): Promise<ControlApi> {
  const { handlers } = options;
  const expected = Buffer.from(`Bearer ${options.token}`);
  const joinAccepted = [Buffer.from(`Bearer ${options.joinToken}`), expected];
  const a2aAccepted = options.a2aToken ? [expected, Buffer.from(`Bearer ${options.a2aToken}`)] : [expected];
  // The A2A endpoint (and the SDK behind it) loads on its first request: start-up stays lean.
  let a2a: Promise<FleetA2AEndpoint> | null = null;
  const fleetCard = (): AgentCard => buildFleetCard(publicUrl, VERSION, handlers.fleetAgents()) as unknown as AgentCard;
  const loopback = isLoopback(options.host);
  const sessions = new DashboardSessions();
  let publicUrl = '';
  const { redact } = options;
  const server = http.createServer((request, response) => {
    if (redact) redactResponse(response, redact);
    handle(request, response).catch((error: Error) => {
      if (!response.headersSent) sendJson(response, 500, { error: 'internal', message: error.message });
      else response.end();
    });
  });
  const handle = async (request: http.IncomingMessage, response: http.ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const route = `${request.method} ${url.pathname}`;
    if (route === ROUTE.healthz) return sendJson(response, 200, { status: 'ok', pid: process.pid });
    // Metrics carry no secrets and Prometheus scrapes without our per-start token: on loopback no
    // auth; bound beyond it (explicit config), the stable join token or the control token.
    if (route === ROUTE.metrics) {
      if (!loopback && !joinAccepted.some((accepted) => bearerMatches(request.headers.authorization, accepted))) {
        response.setHeader('WWW-Authenticate', 'Bearer');
        return sendJson(response, 401, { error: 'unauthorized', message: 'the API listens beyond loopback, so /metrics needs a bearer token: the join token (.lightning/join-token) or the control token' });
      }
      const metrics = await handlers.metrics();
      if (!metrics) return sendJson(response, 503, { error: 'unavailable', message: 'metrics are not available; see .lightning/supervisor.log' });
      response.writeHead(200, { 'content-type': metrics.contentType });
      response.end(metrics.body);
      return;
    }
    if (route === ROUTE.login) {
      const session = sessions.redeem(url.searchParams.get('code') ?? '');
      if (!session) return sendHtml(response, 401, LOGIN_NEEDED_HTML);
      response.writeHead(302, { location: '/', 'set-cookie': `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/` });
      response.end();
      return;
    }
    if (isRegisterRoute(url.pathname)) return handleRegisterRoute(request, response, url, handlers, joinAccepted);
    // The fleet as one A2A agent: its card needs no token (discovery comes before holding one).
    if (route === ROUTE.agentCard) {
      const legacy = String(request.headers['a2a-version'] ?? '').startsWith('0.');
      return sendJson(response, 200, legacy ? buildLegacyFleetCard(publicUrl, VERSION, handlers.fleetAgents()) : fleetCard());
    }
    if (isA2ARpcPath(url.pathname)) {
      if (request.method !== 'POST') {
        response.setHeader('allow', 'POST');
        return sendJson(response, 405, { jsonrpc: '2.0', id: null, error: { code: -32600, message: `${request.method} ${url.pathname}: A2A JSON-RPC takes POST` } });
      }
      if (!a2aAccepted.some((accepted) => bearerMatches(request.headers.authorization, accepted))) {
        request.resume();
        response.setHeader('WWW-Authenticate', 'Bearer');
        return sendJson(response, 401, {
          jsonrpc: '2.0',
          id: null,
          error: { code: -32600, message: 'unauthorized: send Authorization: Bearer <token>, the control token from .lightning/supervisor.json or $LIGHTNING_A2A_TOKEN' },
        });
      }
      a2a ??= import('./a2a-endpoint.js').then(({ createFleetA2AEndpoint }) =>
        createFleetA2AEndpoint({ card: fleetCard, tasks: () => handlers.tasks(), workspacesDir: options.workspacesDir ?? null }),
      );
      return (await a2a).handle(request, response);
    }
    const viaSession = sessions.valid(request.headers.cookie);
    if (route === ROUTE.dashboard) return viaSession ? sendHtml(response, 200, DASHBOARD_HTML) : sendHtml(response, 401, LOGIN_NEEDED_HTML);
    if (!bearerMatches(request.headers.authorization, expected) && !viaSession) {
      response.setHeader('WWW-Authenticate', 'Bearer');
      return sendJson(response, 401, {
        error: 'unauthorized',
        message: 'missing or wrong bearer token; the token is in .lightning/supervisor.json',
      });
    }
    switch (route) {
      case ROUTE.status:
        return sendJson(response, 200, handlers.status());
      case ROUTE.modelSettings:
        return sendJson(response, 200, handlers.modelSettings());
      case ROUTE.dashboardLogin: {
        const code = sessions.newLoginCode();
        return sendJson(response, 201, { url: `${publicUrl}/login?code=${code}`, expiresInMs: 60_000 });
      }
      case ROUTE.reload: {
        const result = await handlers.reload();
        return result.ok
          ? sendJson(response, 200, { status: 'applied', summary: result.summary })
          : sendJson(response, 400, { error: 'invalid_config', message: result.error });
      }
      case ROUTE.shutdown:
        sendJson(response, 202, { status: 'stopping' });
        return handlers.shutdown();
      default:
        if (isControlRoute(url.pathname)) return handleControlRoute(request, response, url.pathname, handlers.control);
        if (isTaskRoute(url.pathname) && (await handleTaskRoute(request, response, url, await handlers.tasks()))) return;
        return notFoundOrWrongMethod(response, request.method ?? 'GET', url.pathname);
    }
  };
  // Clients subtract a margin from the advertised keep-alive (undici: 2 s), so anything short
  // makes every request a new connection. close() ends idle sockets itself.
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  publicUrl = `http://${host}:${address.port}`;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function notFoundOrWrongMethod(response: http.ServerResponse, method: string, path: string): void {
  const allowed = allowedMethods(path);
  if (!allowed) return sendJson(response, 404, { error: 'not_found', message: `no route ${method} ${path}` });
  response.setHeader('allow', allowed.join(', '));
  return sendJson(response, 405, { error: 'method_not_allowed', message: `${method} ${path}: use ${allowed.join(' or ')}` });
}


function sendHtml(response: http.ServerResponse, status: number, html: string): void {
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    // The page loads nothing from elsewhere; keep it that way.
    'content-security-policy': "default-src 'self'; script-src 'unsafe-inline' 'self'; style-src 'unsafe-inline' 'self'; img-src 'self' data:",
    'x-frame-options': 'DENY',
  });
  response.end(html);
}
