import fs from 'node:fs/promises';
import type OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionFunctionTool, ChatCompletionMessageFunctionToolCall, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { generatedPrompt } from '../../config/generated-prompt.js';
import { PROVIDER_COOLDOWN, PROVIDER_FAILOVER_TIMEOUT_MS } from '../../config/defaults.js';
import { routesOf } from '../../config/types.js';
import type { AgentConfig } from '../../config/types.js';
import { costOf } from '../../protocol/task.js';
import type { ApprovalAnswer, TaskProgress, TokenUsage, WorkerBudget, WorkerOutcome } from '../../protocol/task.js';
import { combineSystemPrompt, planSystemPrompt } from '../../protocol/team-plan.js';
import type { TaskMode } from '../../protocol/team-plan.js';
import type { McpServers, McpToolSet } from '../mcp/servers.js';
import { resolveProviderEndpoint } from '../../config/model-endpoint.js';
import type { ModelEndpoint } from '../../config/model-endpoint.js';
import { describeModelError, describeToolCallParseFailure, isClosedConnection, isToolCallParseFailure, isToolCallParseMessage, redact } from './errors.js';
import type { SdkErrors } from './errors.js';
import { ProviderCooldowns } from './provider-cooldowns.js';
import { WorkspaceTools, failure, parseToolArguments } from './tools.js';
import type { ToolResult } from './tools.js';
import { startSpan } from '../../util/tracing.js';
import type { TraceSpan } from '../../util/tracing.js';

export interface ModelTaskOptions {
  taskId: string;
  input: string;
  agent: AgentConfig;
  /** Absolute directory the tools are confined to; created if missing. */
  workspace: string;
  /** Cancellation and the per-task timeout (the caller owns both). */
  signal: AbortSignal;
  onProgress: (progress: TaskProgress) => void;
  env?: NodeJS.ProcessEnv;
  /** Model calls before giving up on a final answer. */
  maxSteps?: number;
  /** SDK retries for 408/409/429/5xx and connection errors (tests lower it to stay fast). */
  maxRetries?: number;
  /** The agent's MCP servers in this worker (tools.mcp), started on first use and shared by tasks. */
  mcp?: McpServers | null;
  /** A team's plan or combine step: one model call with that prompt, no tools. */
  mode?: TaskMode;
  /** What the task may still spend; checked before every model call. */
  budget?: WorkerBudget | null;
  /** Which of the agent's model routes are cooling down; shared by the worker's tasks. */
  cooldowns?: ProviderCooldowns;
  /** The task's execution span: model and tool calls are traced under it (a no-op when tracing is off). */
  trace?: TraceSpan;
  /**
   * Asks a person about a tool call that needs approval (tools.approval, an MCP server's
   * approval) and resolves with their verdict, or null when the task was cancelled meanwhile.
   * Without it such calls are denied.
   */
  approve?: (call: { tool: string; args: string }) => Promise<ApprovalAnswer | null>;
}

/** One place a model call can go, resolved: the endpoint, the model there, and how it is named. */
interface Route {
  endpoint: ModelEndpoint;
  model: string;
  /** "<model> at <endpoint>": in progress events, metrics and /health. */
  label: string;
  /** `timeout:` of its provider entry, if set. */
  timeoutMs: number | null;
  /** Host and port of the endpoint, for traces. */
  server: { address: string; port: number };
}

function serverOf(baseURL: string): Route['server'] {
  const url = new URL(baseURL);
  return { address: url.hostname, port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80 };
}

/** Used when the caller hands none (the worker server hands its own, which /health reads). */
const processCooldowns = new ProviderCooldowns(PROVIDER_COOLDOWN);

const DEFAULT_MAX_STEPS = 12;
const DEFAULT_MAX_RETRIES = 2;
/** Per HTTP request; generous because a local model may take minutes. The task timeout bounds it anyway. */
const REQUEST_TIMEOUT_MS = 10 * 60_000;

type Sdk = typeof import('openai');
let sdkPromise: Promise<Sdk> | null = null;
const clients = new Map<string, OpenAI>();
const prompts = new Map<string, Promise<string>>();

/** Loaded on the first task, not at worker start-up: the SDK costs tens of ms to import. */
function loadSdk(): Promise<Sdk> {
  sdkPromise ??= import('openai').catch((error: unknown) => {
    sdkPromise = null;
    throw error;
  });
  return sdkPromise;
}

/** The SDK's own diagnostics (e.g. an unparsable chunk) go to the worker's log, marked as such. */
const sdkLogger = {
  error: (...args: unknown[]): void => console.error('openai:', ...args),
  warn: (...args: unknown[]): void => console.warn('openai:', ...args),
  info: (...args: unknown[]): void => console.info('openai:', ...args),
  debug: (...args: unknown[]): void => console.debug('openai:', ...args),
};

/**
 * The SDK retries every HTTP 500 as an outage. llama-server answers 500 when a tool call's
 * arguments in the request are not JSON: the same request fails the same way every time, so the
 * answer is marked not to be retried (`x-should-retry: false`, which the SDK honours) and the
 * runner retries it once, changed (see runModelTask).
 */
async function fetchMarkingParseFailures(url: string | URL | Request, init?: RequestInit): Promise<Response> {
  const response = await fetch(url, init);
  if (response.status !== 500 || response.headers.has('x-should-retry')) return response;
  const body = await response.text();
  const headers = new Headers(response.headers);
  // The body is already decoded: the new response must not claim an encoding or the old length.
  headers.delete('content-encoding');
  headers.delete('content-length');
  if (isToolCallParseMessage(body)) headers.set('x-should-retry', 'false');
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

function clientFor(sdk: Sdk, endpoint: ModelEndpoint, maxRetries: number, timeoutMs = REQUEST_TIMEOUT_MS): OpenAI {
  const key = `${endpoint.baseURL}\0${endpoint.apiKey}\0${maxRetries}\0${timeoutMs}`;
  let client = clients.get(key);
  if (!client) {
    // organization/project pinned to null: the SDK would otherwise read them from process.env,
    // and the caller's env is the one that counts.
    client = new sdk.OpenAI({
      baseURL: endpoint.baseURL, apiKey: endpoint.apiKey, organization: null, project: null, maxRetries, timeout: timeoutMs, logger: sdkLogger,
      fetch: fetchMarkingParseFailures,
    });
    clients.set(key, client);
  }
  return client;
}

async function systemPrompt(agent: AgentConfig, tools: WorkspaceTools, mcp: McpToolSet | null): Promise<string> {
  let base: string;
  if (agent.prompt === null) base = generatedPrompt(agent);
  else {
    const file = agent.prompt;
    let cached = prompts.get(file);
    if (!cached) {
      cached = fs.readFile(file, 'utf8');
      prompts.set(file, cached);
      cached.catch(() => prompts.delete(file)); // a fixed file is picked up by the next task
    }
    base = (await cached).trimEnd();
  }
  return `${base}\n\nYou work in a private workspace directory for this task. Tools: ${tools.names.join(', ')} ` +
    '(paths are relative to the workspace; nothing outside it is reachable). Files you write are handed to the user. ' +
    'When the task is done, answer with your final result as plain text.' +
    (mcp && mcp.names.length > 0 ? `\n\nMore tools come from MCP servers (named server__tool; they work outside the workspace): ${mcp.names.join(', ')}.` : '');
}

interface Turn {
  content: string;
  toolCalls: ChatCompletionMessageFunctionToolCall[];
  finishReason: string | null;
  usage: TokenUsage | null;
  chunks: number;
}

/**
 * One model call. Streaming (the default) forwards content deltas and assembles tool calls from
 * their fragments; without streaming (the retry after a tool-call parse failure) the answer comes
 * whole and its text is forwarded as one delta.
 */
async function callTurn(client: OpenAI, model: string, messages: ChatCompletionMessageParam[], tools: ChatCompletionFunctionTool[], signal: AbortSignal, onProgress: (p: TaskProgress) => void, stream: boolean): Promise<Turn> {
  // A per-call controller: the SDK never removes the listener it adds to the signal it is given,
  // so handing it the task's signal would pile up one listener per step.
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    if (!stream) {
      const completion = await client.chat.completions.create(
        { model, messages, ...(tools.length > 0 ? { tools } : {}), stream: false },
        { signal: controller.signal },
      );
      return wholeTurn(completion, onProgress);
    }
    return await readTurn(
      await client.chat.completions.create(
        // An empty tools list is refused by some endpoints: a call without tools sends none.
        { model, messages, ...(tools.length > 0 ? { tools } : {}), stream: true, stream_options: { include_usage: true } },
        { signal: controller.signal },
      ),
      onProgress,
    );
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** What moves a model call to the next route: the provider is down or overloaded, not the request wrong. */
function failsOver(error: unknown, sdk: Sdk): boolean {
  if (error instanceof sdk.APIConnectionError) return true; // timeouts included
  return error instanceof sdk.APIError && typeof error.status === 'number' && (error.status === 408 || error.status === 429 || error.status >= 500);
}

class RouteError extends Error {
  constructor(readonly cause: unknown, readonly route: Route, readonly tries: number, readonly timeoutMs: number, readonly toolCallParse = false) {
    super('model call failed');
  }
}

/**
 * One model call over the routes: those not cooling first, in order. A call that fails over (see
 * failsOver) before any text reached the user moves to the next route, announced as a `failover`
 * progress event. The last route tried gets the SDK's own retries; the others none, since a
 * next provider is a better retry than the same failing one.
 */
async function turnWithFailover(
  sdk: Sdk, routes: Route[], cooldowns: ProviderCooldowns, maxRetries: number,
  messages: ChatCompletionMessageParam[], tools: ChatCompletionFunctionTool[], signal: AbortSignal, onProgress: (p: TaskProgress) => void,
  trace: { parent: TraceSpan | undefined; taskId: string }, stream = true,
): Promise<{ turn: Turn; route: Route }> {
  const order = cooldowns.order(routes.map((route) => route.label)).map((index) => routes[index]!);
  let resent = -1;
  for (let i = 0; ; i++) {
    const route = order[i]!;
    const last = i === order.length - 1;
    const retries = last ? maxRetries : 0;
    // The SDK's timeout runs until the response starts (headers), not over a streamed answer.
    const timeoutMs = route.timeoutMs ?? (last ? REQUEST_TIMEOUT_MS : PROVIDER_FAILOVER_TIMEOUT_MS);
    let streamed = false;
    const started = performance.now();
    const forward = (progress: TaskProgress): void => {
      streamed = true;
      onProgress(progress);
    };
    // One span per call (GenAI semantic conventions), so a failover shows as two sibling calls.
    const span = startSpan(`chat ${route.model}`, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'openai',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': route.model,
      'server.address': route.server.address,
      'server.port': route.server.port,
      'lightning.task.id': trace.taskId,
      'lightning.provider': route.label,
    }, trace.parent, 'client');
    try {
      const turn = await abortable(callTurn(clientFor(sdk, route.endpoint, retries, timeoutMs), route.model, messages, tools, signal, forward, stream), signal);
      cooldowns.recordSuccess(route.label);
      span.set({
        'gen_ai.response.finish_reasons': turn.finishReason ? [turn.finishReason] : [],
        'gen_ai.usage.input_tokens': turn.usage?.promptTokens,
        'gen_ai.usage.output_tokens': turn.usage?.completionTokens,
      });
      span.end();
      return { turn, route };
    } catch (thrown) {
      span.set({ 'error.type': thrown instanceof sdk.APIError && thrown.status ? String(thrown.status) : (thrown as Error)?.constructor?.name ?? 'Error' });
      span.fail(signal.aborted ? 'aborted' : (thrown as Error)?.message ?? String(thrown));
      span.end();
      // The SDK reports its timeout as a plain connection error when the abort error it sees is
      // not an Error of its realm (under a vm, e.g. jest): time says which it was.
      const timedOut = !streamed && thrown instanceof sdk.APIConnectionError && !(thrown instanceof sdk.APIConnectionTimeoutError) && performance.now() - started >= timeoutMs;
      const error: unknown = timedOut ? new sdk.APIConnectionTimeoutError() : thrown;
      // The model's output at fault, not the endpoint: another provider would not see this
      // conversation any better, and this one is up. The caller retries it once, changed.
      if (!signal.aborted && isToolCallParseFailure(error, sdk as SdkErrors)) {
        throw new RouteError(error, route, 1, timeoutMs, true);
      }
      if (signal.aborted || !failsOver(error, sdk)) throw new RouteError(error, route, retries + 1, timeoutMs);
      // A connection the server closed before answering (a kept-alive one it had just dropped) says
      // nothing of the provider: sent again at once, once, before it counts as a failure. (The last
      // route has the SDK's retries for this.) Seen against llama-server under load.
      if (!last && !streamed && resent !== i && !(error instanceof sdk.APIConnectionTimeoutError) && isClosedConnection(error)) {
        resent = i;
        i--;
        continue;
      }
      // A lone provider is always tried: putting it aside would change nothing but what status says.
      if (routes.length > 1) cooldowns.recordFailure(route.label);
      if (last || streamed) throw new RouteError(error, route, retries + 1, timeoutMs);
      const next = order[i + 1]!;
      const reason = describeModelError(error, { endpoint: route.endpoint, model: route.model, tries: 1, timeoutMs }, sdk as SdkErrors);
      onProgress({ kind: 'failover', from: route.label, to: next.label, reason });
    }
  }
}

function wholeTurn(completion: ChatCompletion, onProgress: (p: TaskProgress) => void): Turn {
  const choice = completion.choices[0];
  const content = choice?.message.content ?? '';
  if (content) onProgress({ kind: 'delta', text: content });
  const usage = completion.usage;
  return {
    content,
    toolCalls: (choice?.message.tool_calls ?? []).filter((call): call is ChatCompletionMessageFunctionToolCall => call.type === 'function'),
    finishReason: choice?.finish_reason ?? null,
    usage: usage ? { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens, totalTokens: usage.total_tokens } : null,
    chunks: choice ? 1 : 0,
  };
}

/**
 * The assistant turn as it goes back into the conversation. A tool call whose arguments are not a
 * JSON object (the model's slip; its tool result says so) is sent back with `{}`: servers that
 * render the conversation through a chat template parse those arguments, and llama-server refuses
 * the whole request (HTTP 500) when they are not JSON, on every later step of the task.
 */
function assistantTurn(turn: Turn): ChatCompletionMessageParam {
  const toolCalls = turn.toolCalls.map((call) => ('error' in parseToolArguments(call.function.name, call.function.arguments)
    ? { ...call, function: { ...call.function, arguments: '{}' } }
    : call));
  return { role: 'assistant', content: turn.content || null, tool_calls: toolCalls };
}

/** Sent once, with the retried call, after the server could not parse the model's tool call. */
export const TOOL_CALL_JSON_NUDGE = 'The server could not parse the arguments of your last tool call as JSON. ' +
  'If you call a tool, give its arguments as one valid JSON object that matches the tool\'s parameters; otherwise answer in plain text.';

async function readTurn(stream: AsyncIterable<ChatCompletionChunk>, onProgress: (p: TaskProgress) => void): Promise<Turn> {
  const turn: Turn = { content: '', toolCalls: [], finishReason: null, usage: null, chunks: 0 };
  const byIndex = new Map<number, ChatCompletionMessageFunctionToolCall>();
  for await (const chunk of stream) {
    turn.chunks++;
    if (chunk.usage) {
      turn.usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens, totalTokens: chunk.usage.total_tokens };
    }
    const choice = chunk.choices[0];
    if (!choice) continue;
    if (choice.finish_reason) turn.finishReason = choice.finish_reason;
    const text = choice.delta?.content;
    if (text) {
      turn.content += text;
      onProgress({ kind: 'delta', text });
    }
    for (const part of choice.delta?.tool_calls ?? []) {
      let call = byIndex.get(part.index);
      if (!call) {
        call = { id: part.id ?? `call_${turn.chunks}_${part.index}`, type: 'function', function: { name: '', arguments: '' } };
        byIndex.set(part.index, call);
      }
      if (part.id) call.id = part.id;
      if (part.function?.name) call.function.name += part.function.name;
      if (part.function?.arguments) call.function.arguments += part.function.arguments;
    }
  }
  turn.toolCalls = [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, call]) => call);
  return turn;
}

/** What of the budget is spent, in words; null while there is budget left. */
function overBudget(budget: WorkerBudget, usage: TokenUsage | null, elapsedMs: number, model: string): string | null {
  const tokens = usage?.totalTokens ?? 0;
  const cost = costOf(usage, budget.price);
  const spent = `spent ${tokens} tokens${cost === null ? '' : ` ($${cost.toFixed(4)})`} in ${elapsedMs} ms`;
  if (budget.tokens !== null && tokens >= budget.tokens) return `${spent} of a ${budget.tokens}-token budget`;
  if (budget.cost !== null) {
    if (cost === null) return `a $${budget.cost} cost budget, but model ${model} has no price: add it under \`prices:\` in agents.yaml`;
    if (cost >= budget.cost) return `${spent} of a $${budget.cost} budget`;
  }
  if (budget.timeMs !== null && elapsedMs >= budget.timeMs) return `${spent} of a ${budget.timeMs} ms time budget`;
  return null;
}

function addUsage(total: TokenUsage | null, more: TokenUsage | null): TokenUsage | null {
  if (!more) return total;
  if (!total) return { ...more };
  return { promptTokens: total.promptTokens + more.promptTokens, completionTokens: total.completionTokens + more.completionTokens, totalTokens: total.totalTokens + more.totalTokens };
}

/** Rejects as soon as the signal aborts: the SDK's retry back-off sleep does not watch it. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Runs one task with the agent's model: streaming chat completions plus the workspace tools,
 * until the model answers without calling a tool. Model and tool problems come back as a
 * `failed` outcome with one actionable sentence; an aborted signal as `cancelled`.
 */
export async function runModelTask(options: ModelTaskOptions): Promise<WorkerOutcome> {
  const { agent, signal, onProgress } = options;
  const env = options.env ?? process.env;
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_STEPS;
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  let usage: TokenUsage | null = null;
  let tools: WorkspaceTools | null = null;
  const outcome = (status: WorkerOutcome['status'], output: string, error: string | null): WorkerOutcome => ({
    status, output, error, usage, files: tools ? [...tools.written] : [],
  });
  const cancelled = (): WorkerOutcome => outcome('cancelled', '', 'cancelled');
  const started = Date.now();
  /** Time tool calls waited for a person: not counted against a time budget. */
  let waitedMs = 0;
  const budget = options.budget ?? null;

  if (signal.aborted) return cancelled();
  const routes: Route[] = [];
  for (const route of routesOf(agent)) {
    const resolved = resolveProviderEndpoint(agent.name, route, env);
    if (!resolved.ok) return { ...outcome('failed', '', resolved.error), failure: 'config' };
    routes.push({ endpoint: resolved.endpoint, model: route.model, label: `${route.model} at ${resolved.endpoint.display}`, timeoutMs: route.timeoutMs ?? null, server: serverOf(resolved.endpoint.baseURL) });
  }
  const cooldowns = options.cooldowns ?? processCooldowns;

  let system: string;
  let sdk: Sdk;
  tools = new WorkspaceTools(options.workspace, {
    shell: agent.tools.shell, signal, env, hiddenEnv: [...new Set(routes.map((route) => route.endpoint.apiKeyEnv)), 'LIGHTNING_TOKEN'],
  });
  let mcp: McpToolSet | null = null;
  const mode = options.mode ?? null;
  if (mode === null && options.mcp && options.mcp.size > 0) {
    try {
      mcp = await abortable(options.mcp.toolSet(), signal);
    } catch {
      return cancelled(); // toolSet() never rejects: only the abort gets here
    }
  }
  // A plan or a combined answer is one model call on what the supervisor sends: no tools to call.
  const definitions = mode === null ? [...tools.definitions(), ...(mcp?.definitions ?? [])] : [];
  try {
    system = mode === 'plan' ? planSystemPrompt() : mode === 'combine' ? combineSystemPrompt() : await systemPrompt(agent, tools, mcp);
  } catch (error) {
    return outcome('failed', '', `cannot read the system prompt of ${agent.name} (${agent.prompt}): ${(error as Error).message}`);
  }
  try {
    sdk = await loadSdk();
  } catch (error) {
    return outcome('failed', '', `cannot load the openai client library: ${(error as Error).message}`);
  }
  const messages: ChatCompletionMessageParam[] = [
    { role: 'system', content: system },
    { role: 'user', content: options.input },
  ];

  for (let step = 1; step <= (mode === null ? maxSteps : 1); step++) {
    // Before every model call: a call once the budget is spent would spend more than it allows.
    const over = budget && overBudget(budget, usage, Date.now() - started - waitedMs, agent.model);
    if (over) return { ...outcome('failed', '', `budget exhausted before model call ${step}: ${over}`), failure: 'budget' };
    onProgress({ kind: 'step', step });
    let turn: Turn | null = null;
    let route: Route | null = null;
    const call = (stream: boolean) => turnWithFailover(sdk, routes, cooldowns, maxRetries, messages, definitions, signal, onProgress, { parent: options.trace, taskId: options.taskId }, stream);
    try {
      try {
        ({ turn, route } = await call(true));
      } catch (thrown) {
        if (!(thrown instanceof RouteError) || !thrown.toolCallParse || signal.aborted) throw thrown;
        // Once: without streaming (the answer whole, not reassembled from deltas), asking for JSON.
        onProgress({ kind: 'retry', reason: describeModelError(thrown.cause, { endpoint: thrown.route.endpoint, model: thrown.route.model, tries: 1, timeoutMs: thrown.timeoutMs }, sdk as SdkErrors) });
        messages.push({ role: 'user', content: TOOL_CALL_JSON_NUDGE });
        ({ turn, route } = await call(false));
      }
    } catch (thrown) {
      if (signal.aborted) return cancelled();
      const { cause: error, route: failedRoute, tries, timeoutMs, toolCallParse } = thrown as RouteError;
      if (toolCallParse) return outcome('failed', '', describeToolCallParseFailure(error, failedRoute, sdk as SdkErrors));
      const context = { endpoint: failedRoute.endpoint, model: failedRoute.model, tries, timeoutMs };
      const failed = outcome('failed', '', describeModelError(error, context, sdk as SdkErrors));
      // No key, or one the endpoint rejects: the fleet's configuration, not the agent's doing.
      return error instanceof sdk.APIError && error.status === 401 ? { ...failed, failure: 'config' } : failed;
    }
    usage = addUsage(usage, turn.usage);
    if (signal.aborted) return cancelled();
    if (turn.toolCalls.length === 0) {
      if (turn.chunks === 0) return outcome('failed', '', `model endpoint ${route.endpoint.display} sent an empty stream (is it OpenAI-compatible?)`);
      if (!turn.content.trim()) {
        return outcome('failed', '', `model ${route.model} at ${route.endpoint.display} returned an empty answer (finish_reason: ${turn.finishReason ?? 'none'})`);
      }
      return outcome('completed', turn.content, null);
    }
    messages.push(assistantTurn(turn));
    for (const call of turn.toolCalls) {
      const name = call.function.name;
      const shownArgs = routes.reduce((args, { endpoint: each }) => redact(args, each), call.function.arguments);
      onProgress({ kind: 'tool-call', tool: name, args: shownArgs });
      const fromMcp = mcp?.has(name) ?? false;
      const needsApproval = fromMcp ? mcp!.needsApproval(name) : (agent.tools.approval as readonly string[]).includes(name) && tools.names.includes(name);
      // A call that may not run (no one to ask, or a person said no) is refused: the model reads why.
      let result: ToolResult | null = null;
      if (needsApproval && !options.approve) {
        // A task sent straight to the worker, not by a lightning supervisor: nobody to ask.
        result = failure(`${name} needs a person's approval, and no one can be asked for this task (it did not come from a lightning supervisor); the call was not made`);
      } else if (needsApproval && options.approve) {
        const asked = Date.now();
        const answer = await options.approve({ tool: name, args: shownArgs });
        // The wait is a person's time, not the task's: a time budget does not pay for it.
        waitedMs += Date.now() - asked;
        if (answer === null || signal.aborted) return cancelled();
        if (answer.verdict === 'timeout') result = failure(`${name} was not approved in time and was denied${answer.note ? ` (${answer.note})` : ''}; the call was not made`);
        else if (answer.verdict === 'denied') result = failure(`denied by a person${answer.note ? `: ${answer.note}` : ''}; the call was not made`);
      }
      if (result === null) {
        const span = startSpan(`execute_tool ${name}`, {
          'gen_ai.operation.name': 'execute_tool',
          'gen_ai.tool.name': name,
          'gen_ai.tool.call.id': call.id,
          'lightning.task.id': options.taskId,
          'lightning.tool.source': fromMcp ? 'mcp' : 'builtin',
          ...(fromMcp ? { 'mcp.method.name': 'tools/call' } : {}),
        }, options.trace);
        result = fromMcp ? await mcp!.run(name, call.function.arguments, signal) : await tools.run(name, call.function.arguments);
        if (!result.ok) span.fail(result.summary);
        span.end();
      }
      onProgress({ kind: 'tool-result', tool: name, ok: result.ok, summary: result.summary });
      messages.push({ role: 'tool', tool_call_id: call.id, content: result.content });
      if (signal.aborted) return cancelled();
    }
  }
  return outcome('failed', '', `step limit (${maxSteps}) reached without a final answer`);
}
