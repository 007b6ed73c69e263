import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentConfig } from '../config/types.js';
import { A2A_RPC_PATH, AGENT_CARD_PATH, buildAgentCard, buildLegacyAgentCard } from '../protocol/agent-card.js';
import type { CardSource } from '../protocol/agent-card.js';
import { sendJson } from '../util/http.js';
import type { RpcEndpoint } from './a2a/rpc-endpoint.js';
import type { McpServers } from './mcp/servers.js';
import { PROVIDER_COOLDOWN } from '../config/defaults.js';
import { ProviderCooldowns } from './model/provider-cooldowns.js';

export interface WorkerIdentity {
  agent: AgentConfig;
  instance: number;
  version: string;
  /** When set, the task endpoint requires `Authorization: Bearer <token>`. */
  token: string | null;
  /** Tasks' workspaces live in <workspacesDir>/<taskId>/. */
  workspacesDir: string;
  /** The agent's MCP servers (tools.mcp), shared by its tasks; null when it has none. */
  mcp?: McpServers | null;
}

export interface WorkerServer {
  port: number;
  /** Stop accepting work: /health answers 503 so the supervisor routes elsewhere. */
  drain(): void;
  /** Resolves once no task is in flight (or at once when none is). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** The A2A SDK and model client load after start-up so /health answers within ~100 ms of spawn. */
const PRELOAD_AFTER_MS = 1000;

/**
 * The worker's HTTP surface: health, agent card (no auth: discovery comes before holding a token)
 * and the A2A JSON-RPC task endpoint (bearer token when LIGHTNING_TOKEN is set).
 */
export async function startWorkerServer(identity: WorkerIdentity, port: number, host = '127.0.0.1'): Promise<WorkerServer> {
  const startedAt = Date.now();
  let draining = false;
  let cards: { current: ReturnType<typeof buildAgentCard>; legacy: unknown } | null = null;
  let rpc: Promise<RpcEndpoint> | null = null;
  // The agent's model routes put aside after failures: shared by its tasks, reported in /health.
  const cooldowns = new ProviderCooldowns(PROVIDER_COOLDOWN);
  const endpoint = () => {
    cards ??= buildCards(identity, baseUrlOf(server, host));
    const card = cards.current;
    rpc ??= Promise.all([import('./a2a/rpc-endpoint.js'), import('./model/runner.js')]).then(([{ createRpcEndpoint }, { runModelTask }]) =>
      createRpcEndpoint({ card, agent: identity.agent, token: identity.token, workspacesDir: identity.workspacesDir, runTask: (options) => runModelTask({ ...options, mcp: identity.mcp ?? null, cooldowns }) }),
    );
    return rpc;
  };

  const server = http.createServer((request, response) => {
    const path = routeOf(request.url);
    if (request.method === 'GET' && path === '/health') {
      const body = {
        status: draining ? 'draining' : 'ok',
        agent: identity.agent.name,
        instance: identity.instance,
        inflight: inflightNow(),
        capacity: identity.agent.capacity,
        uptimeMs: Date.now() - startedAt,
      };
      const cooling = cooldowns.cooling();
      if (cooling.length > 0) Object.assign(body, { cooling });
      return sendJson(response, draining ? 503 : 200, body);
    }
    if (request.method === 'GET' && path === AGENT_CARD_PATH) {
      cards ??= buildCards(identity, baseUrlOf(server, host));
      const version = String(request.headers['a2a-version'] ?? '');
      return sendJson(response, 200, version.startsWith('0.') ? cards.legacy : cards.current);
    }
    if (path === A2A_RPC_PATH) {
      if (request.method !== 'POST') {
        response.setHeader('Allow', 'POST');
        return sendRpcError(response, 405, -32600, `method ${request.method} not allowed: use POST ${A2A_RPC_PATH}`);
      }
      if (draining) return sendRpcError(response, 503, -32000, 'worker is stopping');
      void endpoint()
        .then((rpcEndpoint) => rpcEndpoint.handle(request, response))
        .catch((error: Error) => {
          if (!response.headersSent) sendRpcError(response, 500, -32603, error.message);
          else response.end();
        });
      return;
    }
    // A JSON-RPC error object, even here: A2A clients read every error body as one.
    sendRpcError(response, 404, -32601, `no route ${request.method} ${path} (A2A JSON-RPC is POST ${A2A_RPC_PATH})`);
  });
  let resolvedRpc: RpcEndpoint | null = null;
  const inflightNow = () => resolvedRpc?.inflight ?? 0;
  // Long enough that the supervisor's pool reuses connections (undici subtracts 2 s from it).
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  setTimeout(() => void endpoint().then((ready) => (resolvedRpc = ready)), PRELOAD_AFTER_MS).unref();
  return {
    port: (server.address() as AddressInfo).port,
    drain: () => {
      draining = true;
    },
    idle: async () => {
      while (inflightNow() > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/**
 * The request's path without query and without trailing slashes: clients that join a base URL
 * and a path (httpx, and so the A2A conformance kit) post to `/a2a/jsonrpc/`.
 */
function routeOf(url: string | undefined): string {
  const path = (url ?? '/').split('?', 1)[0] ?? '/';
  return path.replace(/\/+$/, '') || '/';
}

function sendRpcError(response: http.ServerResponse, status: number, code: number, message: string): void {
  sendJson(response, status, { jsonrpc: '2.0', id: null, error: { code, message } });
}

function buildCards(identity: WorkerIdentity, baseUrl: string) {
  const { agent } = identity;
  const source: CardSource = {
    name: agent.name,
    description: agent.description,
    capabilities: agent.capabilities,
    examples: agent.examples,
    version: identity.version,
    baseUrl,
    requiresToken: identity.token !== null,
    pushNotifications: true,
  };
  return { current: buildAgentCard(source), legacy: buildLegacyAgentCard(source) };
}

function baseUrlOf(server: http.Server, host: string): string {
  const { port } = server.address() as AddressInfo;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
