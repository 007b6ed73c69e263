import type http from 'node:http';
import type { AgentCard } from '@a2a-js/sdk';
import { MAX_RPC_BODY_BYTES, SSE_HEARTBEAT_MS } from '../config/defaults.js';
import { readBoundedBody } from '../util/body.js';
import { sendJson } from '../util/http.js';
import { encodeSse, encodeSseComment, openSseResponse } from '../util/sse.js';
import { FleetRequestHandler } from './a2a-fleet-handler.js';
import type { TaskService } from './task-routes.js';

/** A2A error codes this file answers itself (the SDK maps the rest). */
const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const CONTENT_TYPE_NOT_SUPPORTED = -32005;

export interface FleetA2AEndpoint {
  /** Answers one authenticated request to the JSON-RPC path. */
  handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void>;
}

/**
 * The supervisor's A2A JSON-RPC endpoint on node:http: @a2a-js/sdk's v1.0 and v0.3 JSON-RPC
 * transports over FleetRequestHandler, with this file owning what a web framework would do —
 * content type (-32005), body limit, parse errors, SSE framing. A stream's first event is awaited
 * before the response starts, so a request the handler refuses (a terminal task to subscribe to,
 * an unknown task) gets a JSON-RPC error response, not an error inside a 200 event stream.
 */
export async function createFleetA2AEndpoint(options: {
  card: () => AgentCard;
  tasks: () => Promise<TaskService | null>;
  workspacesDir: string | null;
}): Promise<FleetA2AEndpoint> {
  const [server, legacy] = await Promise.all([import('@a2a-js/sdk/server'), import('@a2a-js/sdk/compat/v0_3/server')]);
  const handler = new FleetRequestHandler(options.card, options.tasks, options.workspacesDir);
  const current = new server.JsonRpcTransportHandler(handler);
  const old = new legacy.LegacyJsonRpcTransportHandler(handler);

  return {
    async handle(request, response) {
      const version = header(request, 'a2a-version') ?? '0.3';
      const legacyWire = version.startsWith('0.');
      const rpcError = (status: number, code: number, message: string, id: unknown = null) =>
        sendJson(response, status, { jsonrpc: '2.0', id, error: { code, message } });
      const contentType = (request.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
      if (contentType !== 'application/json') {
        request.resume();
        return rpcError(415, CONTENT_TYPE_NOT_SUPPORTED, `Content-Type ${contentType || '(none)'} is not supported: send application/json`);
      }
      const raw = await readBoundedBody(request, MAX_RPC_BODY_BYTES);
      if (raw === null) return rpcError(413, INVALID_REQUEST, `request body over ${MAX_RPC_BODY_BYTES} bytes`);
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return rpcError(200, PARSE_ERROR, 'parse error: the body is not valid JSON');
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return rpcError(200, INVALID_REQUEST, 'invalid request: expected one JSON-RPC request object');
      const id = (body as { id?: unknown }).id ?? null;
      const context = new server.ServerCallContext({ requestedVersion: version });
      const fail = (error: unknown) =>
        legacyWire ? legacy.LegacyJsonRpcTransportHandler.mapToLegacyJSONRPCError(error) : server.JsonRpcTransportHandler.mapToJSONRPCError(error);
      let result: unknown;
      try {
        if (!legacyWire) server.validateVersion(version, options.card(), 'JSONRPC');
        result = await (legacyWire ? old : current).handle(body as Record<string, unknown>, context);
      } catch (error) {
        return sendJson(response, 200, { jsonrpc: '2.0', id, error: fail(error) });
      }
      if (!isAsyncIterable(result)) return sendJson(response, 200, result);
      await streamSse(response, result, (error) => ({ jsonrpc: '2.0', id, error: fail(error) }));
    },
  };
}

/**
 * Streams JSON-RPC envelopes as SSE. The first is read before the headers go out: an error there
 * is the whole (JSON) answer. A client that goes away stops the stream, never the task: it is in
 * the ledger and can be fetched or subscribed to again.
 */
async function streamSse(
  response: http.ServerResponse,
  stream: AsyncIterable<unknown>,
  errorEnvelope: (error: unknown) => unknown,
): Promise<void> {
  const iterator = stream[Symbol.asyncIterator]();
  let first: IteratorResult<unknown>;
  try {
    first = await iterator.next();
  } catch (error) {
    return sendJson(response, 200, errorEnvelope(error));
  }
  openSseResponse(response);
  const heartbeat = setInterval(() => response.write(encodeSseComment('keep-alive')), SSE_HEARTBEAT_MS);
  let ended = false;
  response.once('close', () => {
    clearInterval(heartbeat);
    if (!ended) void iterator.return?.();
  });
  try {
    for (let next = first; !next.done; next = await iterator.next()) {
      if (response.destroyed) break;
      response.write(encodeSse(next.value));
    }
  } catch (error) {
    if (!response.destroyed) response.write(encodeSse(errorEnvelope(error)));
  } finally {
    ended = true;
    clearInterval(heartbeat);
    response.end();
  }
}

function header(request: http.IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as { [Symbol.asyncIterator]?: unknown })?.[Symbol.asyncIterator] === 'function';
}
