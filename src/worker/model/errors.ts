import type * as OpenAiModule from 'openai';
import type { ModelEndpoint } from '../../config/model-endpoint.js';
import { networkReason } from '../../util/network-reason.js';

/** The SDK's error classes, handed in by the runner so this file never loads `openai` itself. */
export type SdkErrors = Pick<typeof OpenAiModule, 'APIError' | 'APIConnectionError' | 'APIConnectionTimeoutError'>;

export interface ErrorContext {
  endpoint: ModelEndpoint;
  model: string;
  /** Requests the SDK makes before giving up: maxRetries + 1. */
  tries: number;
  timeoutMs: number;
}

/**
 * Turns anything the openai call threw into one honest sentence naming the endpoint. The API key
 * is scrubbed from the result whatever path produced it: servers sometimes echo it back.
 */
export function describeModelError(error: unknown, context: ErrorContext, sdk: SdkErrors): string {
  return redact(describe(error, context, sdk), context.endpoint);
}

function describe(error: unknown, { endpoint, model, tries, timeoutMs }: ErrorContext, sdk: SdkErrors): string {
  const url = endpoint.display;
  if (error instanceof sdk.APIConnectionTimeoutError) {
    return `model endpoint ${url} did not answer within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`} (${tries === 1 ? '1 try' : `${tries} tries`})`;
  }
  if (error instanceof sdk.APIConnectionError) {
    return `cannot reach the model endpoint ${url}: ${networkReason(error)}`;
  }
  if (error instanceof sdk.APIError && typeof error.status === 'number') {
    const status = error.status;
    const message = serverMessage(error);
    if (status === 401) {
      const hint = endpoint.keySet ? `check ${endpoint.apiKeyEnv}` : `${endpoint.apiKeyEnv} is not set`;
      return `API key rejected by ${url} (HTTP 401) — ${hint}`;
    }
    if (status === 403) return `model endpoint ${url} refused the request (HTTP 403): ${message} — check ${endpoint.apiKeyEnv}'s permissions`;
    if (status === 404) {
      return `model "${model}" not found at ${url} (HTTP 404): ${message} — check the model name and that the URL ends in /v1`;
    }
    // The SDK retries 408/409/429/5xx itself; by the time we see one, every try failed.
    if (status === 408 || status === 409 || status === 429 || status >= 500) {
      return `model endpoint ${url} answered HTTP ${status}${tries > 1 ? ` after ${tries} tries` : ''}: ${message}`;
    }
    return `model endpoint ${url} answered HTTP ${status}: ${message}`;
  }
  if (error instanceof SyntaxError || /JSON/.test(errorMessage(error))) {
    return `model endpoint ${url} sent a response that is not valid JSON (is it OpenAI-compatible?): ${errorMessage(error)}`;
  }
  return `model endpoint ${url}: ${errorMessage(error)}`;
}

/**
 * A server that parses tool calls itself (llama.cpp's llama-server, vLLM, …) can refuse a request
 * because a tool call's arguments in it are not JSON — "Failed to parse tool call arguments as
 * JSON" is llama-server's HTTP 500 — or fail to parse what the model just produced. Either way the
 * model's output is at fault, not the endpoint: such an answer must not fail over, cool the
 * provider down, or be retried as it was sent.
 */
const TOOL_CALL_PARSE_FAILURE = /(?:pars(?:e|ing)|JSON)\b.*\btool[ _-]?calls?\b|\btool[ _-]?calls?\b.*\b(?:pars(?:e|ing)|JSON)\b/i;

export function isToolCallParseMessage(message: string): boolean {
  return TOOL_CALL_PARSE_FAILURE.test(message);
}

export function isToolCallParseFailure(error: unknown, sdk: SdkErrors): boolean {
  return error instanceof sdk.APIError && (error.status === 400 || error.status === 500) && isToolCallParseMessage(serverMessage(error));
}

/**
 * The server closed the connection before answering: what a kept-alive connection meets when the
 * server drops it just as the next request goes out (llama-server's keep-alive is 5 s or 100
 * requests). Sending the request again, on a new connection, is the fix; the server is up.
 */
export function isClosedConnection(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current: unknown = error; current && typeof current === 'object' && !seen.has(current); current = (current as { cause?: unknown }).cause) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE') return true;
  }
  return false;
}

/** The sentence a task fails with when the retried call was refused the same way. */
export function describeToolCallParseFailure(error: unknown, { endpoint, model }: Pick<ErrorContext, 'endpoint' | 'model'>, sdk: SdkErrors): string {
  const detail = error instanceof sdk.APIError ? `HTTP ${error.status}: ${serverMessage(error)}` : errorMessage(error);
  return redact(`model ${model} at ${endpoint.display} produced tool-call arguments the server cannot parse as JSON (${detail}); ` +
    'retried once without streaming and with a request for valid JSON, refused again — the model\'s output, not the endpoint: ' +
    'try a model that is better at tool calls', endpoint);
}

/** The server's own error text, without the SDK's "<status> " prefix. */
function serverMessage(error: InstanceType<SdkErrors['APIError']>): string {
  const body = error.error as { message?: unknown } | undefined;
  if (body && typeof body.message === 'string' && body.message) return body.message;
  return error.message.replace(/^\d{3}\s+/, '') || 'no error message';
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Removes the API key (and any URL credentials) from a message. */
export function redact(message: string, endpoint: ModelEndpoint): string {
  let out = message;
  if (endpoint.keySet && endpoint.apiKey.length >= 4) out = out.split(endpoint.apiKey).join('***');
  if (endpoint.display !== endpoint.baseURL) out = out.split(endpoint.baseURL).join(endpoint.display);
  return out;
}
