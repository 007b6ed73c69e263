import type http from 'node:http';
import type { AgentCard } from '@a2a-js/sdk';
import type { AgentConfig } from '../../config/types.js';
import type { ApprovalDecisionMessage } from '../../protocol/task.js';
import { MAX_RPC_BODY_BYTES } from '../../config/defaults.js';
import { readBoundedBody } from '../../util/body.js';
import { bearerMatches, sendJson } from '../../util/http.js';
import { encodeSse, openSseResponse } from '../../util/sse.js';
import { CALLER_GONE_STATE, ModelTaskExecutor, TRACEPARENT_STATE } from './executor.js';
import type { RunTask } from './executor.js';
import { BoundedPushStore } from './push-store.js';
import { WebhookPushSender } from './push-sender.js';
import type { PushDeliveryOptions } from './push-sender.js';
import { BoundedTaskStore } from './task-store.js';

const STARTING_METHODS = new Set(['message/send', 'message/stream', 'SendMessage', 'SendStreamingMessage']);
/** Starting methods answered with one JSON document once the task has ended (when asked to block). */
const ANSWERING_METHODS = new Set(['message/send', 'SendMessage']);

export interface RpcEndpoint {
  handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void>;
  readonly inflight: number;
}

/**
 * The A2A JSON-RPC endpoint on a plain node:http server: @a2a-js/sdk's request handler and its
 * v1.0 and v0.3 JSON-RPC transports, with this server owning what express would do — bearer
 * auth, content type, body limit, parse errors, SSE framing — and the capacity check, which
 * refuses at once (HTTP 503) so the router can pick another instance.
 */
export async function createRpcEndpoint(options: {
  card: AgentCard;
  agent: AgentConfig;
  token: string | null;
  workspacesDir: string;
  runTask: RunTask;
  /** Overrides of how push notifications are delivered (tests shorten the backoff). */
  push?: Partial<PushDeliveryOptions>;
}): Promise<RpcEndpoint> {
  const [sdk, server, legacy, errors] = await Promise.all([
    import('@a2a-js/sdk'),
    import('@a2a-js/sdk/server'),
    import('@a2a-js/sdk/compat/v0_3/server'),
    import('@a2a-js/sdk/errors'),
  ]);
  const executor = new ModelTaskExecutor(options.agent, options.workspacesDir, options.runTask, { TaskState: sdk.TaskState, Role: sdk.Role });
  // Without an A2A-Version header a request speaks 0.3, and so do the configs it sets.
  const pushStore = new BoundedPushStore((message) => new errors.RequestMalformedError(message), '0.3');
  const pushSender = new WebhookPushSender(
    pushStore,
    { '1.0': new server.V1PushNotificationSerializer(), '0.3': new legacy.V03PushNotificationSerializer() },
    '0.3',
    options.push,
  );
  const handler = new server.DefaultRequestHandler(options.card, new BoundedTaskStore((message) => new errors.RequestMalformedError(message)), executor, undefined, pushStore, pushSender);
  const current = new server.JsonRpcTransportHandler(handler);
  const old = new legacy.LegacyJsonRpcTransportHandler(handler);
  const expected = options.token ? Buffer.from(`Bearer ${options.token}`) : null;
  const capacity = options.agent.capacity;

  return {
    get inflight() {
      return executor.active;
    },
    async handle(request, response) {
      const version = header(request, 'a2a-version') ?? '0.3';
      const legacyWire = version.startsWith('0.');
      const rpcError = (status: number, code: number, message: string, id: unknown = null) =>
        sendJson(response, status, { jsonrpc: '2.0', id, error: { code, message } });
      if (expected && !bearerMatches(request.headers.authorization, expected)) {
        response.setHeader('WWW-Authenticate', 'Bearer');
        return rpcError(401, -32001, 'unauthorized: send Authorization: Bearer $LIGHTNING_TOKEN');
      }
      const mapError = (error: unknown) =>
        legacyWire ? legacy.LegacyJsonRpcTransportHandler.mapToLegacyJSONRPCError(error) : server.JsonRpcTransportHandler.mapToJSONRPCError(error);
      if (!isJsonContentType(request.headers['content-type'])) {
        const given = request.headers['content-type'] ?? 'none';
        const error = mapError(new errors.ContentTypeNotSupportedError(`content-type must be application/json (got ${given})`));
        return sendJson(response, 415, { jsonrpc: '2.0', id: null, error });
      }
      const raw = await readBoundedBody(request, MAX_RPC_BODY_BYTES);
      if (raw === null) return rpcError(413, -32600, `request body over ${MAX_RPC_BODY_BYTES} bytes`);
      let body: { id?: unknown; method?: unknown; params?: unknown };
      try {
        body = JSON.parse(raw.toString('utf8')) as { id?: unknown; method?: unknown; params?: unknown };
      } catch {
        return rpcError(400, -32700, 'parse error: the body is not valid JSON');
      }
      if (typeof body !== 'object' || body === null) return rpcError(400, -32600, 'invalid request: expected a JSON-RPC object');
      // A decision on a tool call waiting for approval: a message to that task, from the
      // supervisor. Answered here, not by the SDK: it continues a running task, it starts nothing.
      const decision = STARTING_METHODS.has(String(body.method)) ? approvalDecisionOf(body) : null;
      if (decision) {
        const outcome = executor.decide(decision.taskId, decision.decision);
        if (outcome === 'decided') {
          return sendJson(response, 200, { jsonrpc: '2.0', id: body.id ?? null, result: { kind: 'message', role: 'agent', messageId: `${decision.decision.id}-decided`, taskId: decision.taskId, parts: [{ kind: 'text', text: `approval ${decision.decision.id}: ${decision.decision.verdict}` }] } });
        }
        return rpcError(200, -32001, outcome === 'refused' ? `approval ${decision.decision.id} refused: wrong task or key` : `no tool call waits for approval ${decision.decision.id}`, body.id ?? null);
      }
      if (STARTING_METHODS.has(String(body.method)) && executor.active >= capacity) {
        response.setHeader('Retry-After', '1');
        return rpcError(503, -32000, `at capacity: ${executor.active} of ${capacity} tasks in flight`, body.id ?? null);
      }
      const context = new server.ServerCallContext({ requestedVersion: version });
      // W3C trace context of the caller (the supervisor's attempt span, or any A2A client's): the
      // task's execution span hangs under it.
      const traceparent = header(request, 'traceparent');
      if (traceparent) context.state.set(TRACEPARENT_STATE, traceparent);
      // A caller that goes away before the answer (the supervisor cancelled the task, or its
      // deadline passed) gets its task cancelled, as a stream's caller does (streamSse): nobody
      // is left to take the result, and the supervisor may not know the task's id to cancel it.
      let answered = false;
      if (ANSWERING_METHODS.has(String(body.method))) {
        const callerGone = new AbortController();
        context.state.set(CALLER_GONE_STATE, callerGone.signal);
        response.once('close', () => {
          if (!answered) callerGone.abort();
        });
      }
      try {
        if (!legacyWire) server.validateVersion(version, options.card, 'JSONRPC');
        const result = await (legacyWire ? old : current).handle(body as Record<string, unknown>, context);
        answered = true;
        if (!isAsyncIterable(result)) return response.destroyed ? undefined : sendJson(response, 200, result);
        await streamSse(response, result, (taskId) => executor.cancel(taskId));
      } catch (error) {
        answered = true;
        if (response.destroyed) return;
        const mapped = mapError(error);
        if (response.headersSent) {
          response.end(encodeSse({ jsonrpc: '2.0', id: body.id ?? null, error: mapped }, 'error'));
        } else {
          sendJson(response, 200, { jsonrpc: '2.0', id: body.id ?? null, error: mapped });
        }
      }
    },
  };
}

/**
 * Streams a task's events as SSE. A client that goes away before the task ends gets its task
 * cancelled: the supervisor is the only caller, and when it drops the stream (the task was
 * cancelled or timed out, possibly before it learnt the task's id) nobody is left to take the
 * result — running on would only burn model tokens.
 */
async function streamSse(
  response: http.ServerResponse,
  stream: AsyncIterable<unknown>,
  cancel: (taskId: string) => void,
): Promise<void> {
  const iterator = stream[Symbol.asyncIterator]();
  // The first event comes before the headers: a stream the SDK refuses outright (subscribing to a
  // task that has ended, an unknown task) is then a plain JSON-RPC error, not an SSE stream.
  let next = await iterator.next();
  openSseResponse(response);
  let taskId: string | null = null;
  let ended = false;
  response.once('close', () => {
    if (ended) return;
    if (taskId) cancel(taskId);
    void iterator.return?.();
  });
  for (let first = true; ; first = false) {
    if (!first) next = await iterator.next();
    if (next.done) break;
    taskId ??= taskIdOf(next.value);
    // After the final event (ended below) the SDK's stream is read to its end, with nothing to write.
    if (response.writableEnded) continue;
    if (response.destroyed) break;
    if (isFinalEvent(next.value)) {
      // The last event and the stream's end in one write: the caller reads the outcome and the end
      // of the body at once (one wake-up and one read fewer per task on the supervisor's hot path).
      ended = true;
      response.end(encodeSse(next.value));
      continue;
    }
    response.write(encodeSse(next.value));
  }
  ended = true;
  if (!response.writableEnded) response.end();
}

/** A v0.3 final status update: nothing follows it on the stream. */
function isFinalEvent(envelope: unknown): boolean {
  const result = (envelope as { result?: { kind?: unknown; final?: unknown } })?.result;
  return result?.kind === 'status-update' && result.final === true;
}

function taskIdOf(envelope: unknown): string | null {
  const result = (envelope as { result?: { id?: unknown; taskId?: unknown; task?: { id?: unknown } } })?.result;
  const id = result?.taskId ?? result?.id ?? result?.task?.id;
  return typeof id === 'string' ? id : null;
}

/** application/json, with parameters (charset) or not; `application/a2a+json` too. */
function isJsonContentType(value: string | undefined): boolean {
  const type = (value ?? '').split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || type === 'application/a2a+json';
}

function header(request: http.IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as { [Symbol.asyncIterator]?: unknown })?.[Symbol.asyncIterator] === 'function';
}

/** The approval decision a message carries (metadata.lightning.approval), with the task it is for. */
function approvalDecisionOf(body: { params?: unknown }): { taskId: string; decision: ApprovalDecisionMessage } | null {
  const message = (body.params as { message?: { taskId?: unknown; task_id?: unknown; metadata?: { lightning?: { approval?: unknown } } } } | undefined)?.message;
  const approval = message?.metadata?.lightning?.approval as Partial<ApprovalDecisionMessage> | undefined;
  if (!approval || typeof approval !== 'object') return null;
  const taskId = message?.taskId ?? message?.task_id;
  if (typeof taskId !== 'string' || typeof approval.id !== 'string' || typeof approval.key !== 'string') return null;
  const verdict = approval.verdict === 'approved' || approval.verdict === 'timeout' ? approval.verdict : 'denied';
  return { taskId, decision: { id: approval.id, key: approval.key, verdict, note: typeof approval.note === 'string' ? approval.note : null } };
}
