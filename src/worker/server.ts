import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AGENT_CARD_PATH, buildAgentCard, buildLegacyAgentCard } from '../protocol/agent-card.js';
import type { CardSource } from '../protocol/agent-card.js';
import { sendJson } from '../util/http.js';

export interface WorkerIdentity {
  agent: string;
  instance: number;
  description: string;
  capabilities: string[];
  capacity: number;
  version: string;
  /** When set, the task endpoints require `Authorization: Bearer <token>`. */
  token: string | null;
}

export interface WorkerServer {
  port: number;
  /** Stop accepting work: /health answers 503 so the supervisor routes elsewhere. */
  drain(): void;
  close(): Promise<void>;
}

/**
 * The worker's HTTP surface: health and agent card. No auth on either: the supervisor and any
 * A2A client must be able to discover the agent before holding a token.
 */
export async function startWorkerServer(identity: WorkerIdentity, port: number, host = '127.0.0.1'): Promise<WorkerServer> {
  const startedAt = Date.now();
  let draining = false;
  // Tasks in flight; task execution (A2A handler) updates it, /health reports it.
  const inflight = 0;
  let cards: { current: unknown; legacy: unknown } | null = null;

  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0];
    if (request.method === 'GET' && path === '/health') {
      const body = {
        status: draining ? 'draining' : 'ok',
        agent: identity.agent,
        instance: identity.instance,
        inflight,
        capacity: identity.capacity,
        uptimeMs: Date.now() - startedAt,
      };
      return sendJson(response, draining ? 503 : 200, body);
    }
    if (request.method === 'GET' && path === AGENT_CARD_PATH) {
      cards ??= buildCards(identity, baseUrlOf(server, host));
      const version = String(request.headers['a2a-version'] ?? '');
      return sendJson(response, 200, version.startsWith('0.') ? cards.legacy : cards.current);
    }
    sendJson(response, 404, { error: 'not_found', message: `no route ${request.method} ${path}` });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    drain: () => {
      draining = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

function buildCards(identity: WorkerIdentity, baseUrl: string): { current: unknown; legacy: unknown } {
  const source: CardSource = {
    name: identity.agent,
    description: identity.description,
    capabilities: identity.capabilities,
    version: identity.version,
    baseUrl,
    requiresToken: identity.token !== null,
  };
  return { current: buildAgentCard(source), legacy: buildLegacyAgentCard(source) };
}

function baseUrlOf(server: http.Server, host: string): string {
  const { port } = server.address() as AddressInfo;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
