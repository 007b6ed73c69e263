import type { Dispatcher, Pool } from 'undici';
import { loadUndici } from '../util/undici.js';
import { APPROVAL_WORKER_GRACE_MS, WORKER_CLIENT } from '../config/defaults.js';
import type { ApprovalDecisionMessage, TaskProgress, WorkerBudget, WorkerOutcome } from '../protocol/task.js';
import type { TaskMode } from '../protocol/team-plan.js';
import { SSE_CONTENT_TYPE, readSse } from '../util/sse.js';

/**
 * Why an attempt could not produce an outcome: each is a reason to try another instance.
 * `not-listening` and `refused` (full) never delivered the task; `unreachable` lost it on the way
 * or while the worker ran it.
 */
export class AttemptError extends Error {
  constructor(
    message: string,
    readonly reason: 'not-listening' | 'refused' | 'unreachable' | 'http' | 'protocol' | 'aborted',
  ) {
    super(message);
  }
}

export interface AttemptRequest {
  /** The supervisor's task id: the worker names the workspace after it. */
  taskId: string;
  input: string;
  timeoutMs: number;
  /** A team's subtask works in its parent's workspace: the worker names it after this id instead. */
  workspace?: string | undefined;
  /** A team's plan or combine step: one model call with that system prompt and no tools. */
  mode?: TaskMode | undefined;
  /** What the task may still spend (the worker checks it before every model call). */
  budget?: WorkerBudget | null | undefined;
  signal: AbortSignal;
  /**
   * Stream the attempt (`message/stream`: progress as it happens, the worker's task id at once) or
   * ask for the outcome alone (`message/send`: one JSON answer, no progress). Only the built-in
   * worker is asked without a stream: it cancels a task whose request goes away, which is how an
   * attempt without a task id yet is stopped.
   */
  stream: boolean;
  onProgress(progress: TaskProgress): void;
  /** Called once the worker has created its A2A task (needed to cancel it). */
  onRemoteTask(remoteTaskId: string): void;
  /** W3C trace context of the attempt, sent as the `traceparent` header; null when not tracing. */
  traceparent?: string | null;
  /** The attempt's approval key (see ApprovalDecisionMessage) and how long a tool call may wait for a person. */
  approval?: { key: string; timeoutMs: number } | undefined;
}

/**
 * Talks A2A v0.3 JSON-RPC (`message/stream` or `message/send`, `tasks/cancel`) to one instance over
 * a keep-alive undici Pool: v0.3 because every A2A agent speaks it, the pool because this is the
 * task hot path.
 */
export class WorkerClient {
  /** Opened at the first call (undici loads then): an idle fleet never needs it. */
  private pool: Pool | null = null;
  private closed = false;
  private readonly origin: string;
  private readonly path: string;
  private sequence = 0;

  constructor(
    rpcUrl: string,
    private readonly token: string,
  ) {
    const url = new URL(rpcUrl);
    this.origin = url.origin;
    this.path = url.pathname;
  }

  private async openPool(): Promise<Pool> {
    const { Pool: UndiciPool } = await loadUndici();
    // Closed while undici loaded (the instance went away): no pool that nobody would close.
    if (this.closed) throw new Error('the worker client is closed');
    this.pool ??= new UndiciPool(this.origin, { connections: WORKER_CLIENT.connections, pipelining: 1 });
    return this.pool;
  }

  async run(request: AttemptRequest): Promise<WorkerOutcome> {
    const sequence = ++this.sequence;
    const message = {
      kind: 'message',
      messageId: `${request.taskId}-${sequence}`,
      role: 'user',
      parts: [{ kind: 'text', text: request.input }],
      // The outcome in metadata is all this client reads: the worker need not repeat the answer.
      metadata: {
        lightning: {
          taskId: request.taskId, timeoutMs: request.timeoutMs, outcomeOnly: true,
          ...(request.workspace !== undefined ? { workspace: request.workspace } : {}),
          ...(request.mode !== undefined ? { mode: request.mode } : {}),
          ...(request.budget ? { budget: request.budget } : {}),
          ...(request.approval ? { approvalKey: request.approval.key, approvalTimeoutMs: request.approval.timeoutMs } : {}),
        },
      },
    };
    // Without a stream: wait for the end (v0.3 reads a configuration without `blocking` as "do not
    // wait"), and no history echoed back (it would repeat the input).
    const params = request.stream ? { message } : { message, configuration: { blocking: true, historyLength: 0 } };
    const body = { jsonrpc: '2.0', id: sequence, method: request.stream ? 'message/stream' : 'message/send', params };
    let response;
    try {
      response = await (this.pool ?? (await this.openPool())).request({
        path: this.path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${this.token}`,
          accept: request.stream ? SSE_CONTENT_TYPE : 'application/json',
          ...(request.traceparent ? { traceparent: request.traceparent } : {}),
        },
        body: JSON.stringify(body),
        signal: request.signal,
        // Without a stream the headers come with the answer, at the end of the task.
        headersTimeout: request.stream ? request.timeoutMs : request.timeoutMs + WORKER_CLIENT.answerGraceMs,
        // Between two events: a tool call waiting for a person is silent for up to its approval
        // timeout (the task's deadline is paused meanwhile, so the timeout alone may be shorter).
        bodyTimeout: Math.max(request.timeoutMs, request.approval ? request.approval.timeoutMs + APPROVAL_WORKER_GRACE_MS * 2 : 0),
      });
    } catch (error) {
      throw this.transportError(error, request.signal);
    }
    if (response.statusCode === 503) {
      const text = await response.body.text();
      throw new AttemptError(`refused: ${errorMessageOf(text) ?? 'HTTP 503'}`, 'refused');
    }
    if (response.statusCode !== 200) {
      const text = await response.body.text();
      throw new AttemptError(`worker answered HTTP ${response.statusCode}: ${errorMessageOf(text) ?? text.slice(0, 200)}`, 'http');
    }
    if (!request.stream) return this.readAnswer(response.body, request);
    let outcome: WorkerOutcome | null = null;
    const artifacts: string[] = [];
    try {
      // Read to the end even after the final event: a body left unread makes undici drop the
      // keep-alive connection, and reconnecting per task costs more than the task itself.
      await readSse(response.body, (frame) => {
        outcome ??= this.handleEvent(frame.data, request, artifacts);
      });
    } catch (error) {
      if (outcome) return outcome;
      if (error instanceof AttemptError) throw error;
      throw this.transportError(error, request.signal);
    }
    if (outcome) return outcome;
    throw new AttemptError('the worker closed the stream before the task ended', 'unreachable');
  }

  /** The one JSON answer of `message/send`: the task as it ended (or a message, which is the whole answer). */
  private async readAnswer(body: Dispatcher.ResponseData['body'], request: AttemptRequest): Promise<WorkerOutcome> {
    let text: string;
    try {
      text = await body.text();
    } catch (error) {
      throw this.transportError(error, request.signal);
    }
    const answer = resultOf<A2AAnswer>(text, 'answered with something');
    if (answer?.kind === 'message') return { status: 'completed', output: textOfParts(answer.parts), error: null, usage: null, files: [] };
    if (answer?.kind !== 'task') throw new AttemptError('the worker answered with neither a task nor a message', 'protocol');
    request.onRemoteTask(answer.id);
    const outcome = (answer.metadata?.lightning as { outcome?: WorkerOutcome } | undefined)?.outcome;
    if (outcome) return outcome;
    const state = answer.status?.state ?? 'unknown';
    if (!FINAL_STATES.has(state)) throw new AttemptError(`the worker answered before the task ended (state ${state})`, 'protocol');
    const artifactText = (answer.artifacts ?? []).map((artifact) => textOfParts(artifact.parts)).filter(Boolean).join('\n');
    return outcomeFromStatus({ kind: 'status-update', taskId: answer.id, final: true, status: answer.status }, artifactText);
  }

  /** Best effort: the attempt's own stream ends with the cancelled outcome. */
  async cancel(remoteTaskId: string): Promise<void> {
    try {
      await this.control('tasks/cancel', { id: remoteTaskId });
    } catch {
      // The instance is gone: nothing left to cancel there.
    }
  }

  /**
   * Sends a decision on a tool call waiting for approval: an A2A message to the worker's task,
   * carrying the attempt's key. False when the worker did not take it (gone, or the wait ended).
   */
  async decide(remoteTaskId: string, decision: ApprovalDecisionMessage): Promise<boolean> {
    const message = {
      kind: 'message', messageId: `${decision.id}-decision`, role: 'user', taskId: remoteTaskId,
      parts: [{ kind: 'text', text: decision.verdict }],
      metadata: { lightning: { approval: decision } },
    };
    try {
      const { statusCode, text } = await this.control('message/send', { message });
      return statusCode === 200 && (JSON.parse(text) as { result?: unknown }).result !== undefined;
    } catch {
      return false;
    }
  }

  /** A short JSON-RPC call beside a task's stream (cancel, an approval decision), with its own short timeouts. */
  private async control(method: string, params: unknown): Promise<{ statusCode: number; text: string }> {
    const response = await (this.pool ?? (await this.openPool())).request({
      path: this.path,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++this.sequence, method, params }),
      headersTimeout: WORKER_CLIENT.cancelTimeoutMs,
      bodyTimeout: WORKER_CLIENT.cancelTimeoutMs,
    });
    return { statusCode: response.statusCode, text: await response.body.text() };
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pool?.close();
  }

  /** `artifacts` collects the text of artifact updates: a foreign agent's answer may be only there. */
  private handleEvent(data: string, request: AttemptRequest, artifacts: string[]): WorkerOutcome | null {
    const event = resultOf<A2AEvent>(data, 'sent an event');
    if (!event) return null;
    const remoteId = event.kind === 'task' ? event.id : event.taskId;
    if (remoteId) request.onRemoteTask(remoteId);
    const lightning = (event.kind === 'status-update' ? event.metadata?.lightning : undefined) as
      | { progress?: TaskProgress; outcome?: WorkerOutcome }
      | undefined;
    if (lightning?.progress) request.onProgress(lightning.progress);
    if (event.kind === 'artifact-update') artifacts.push(textOfParts(event.artifact?.parts));
    if (event.kind === 'status-update' && event.final) return lightning?.outcome ?? outcomeFromStatus(event, artifacts.filter(Boolean).join('\n'));
    // An agent may answer with a message instead of a task: that message is the whole answer.
    if (event.kind === 'message') return { status: 'completed', output: textOfParts(event.parts), error: null, usage: null, files: [] };
    return null;
  }

  private transportError(error: unknown, signal: AbortSignal): AttemptError {
    if (signal.aborted) return new AttemptError('aborted', 'aborted');
    const code = (error as { code?: string }).code ?? '';
    const message = (error as Error).message;
    if (code === 'ECONNREFUSED') return new AttemptError('connection refused: the instance is not listening', 'not-listening');
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return new AttemptError('the worker did not answer in time', 'unreachable');
    return new AttemptError(`connection to the worker failed: ${code || message}`, 'unreachable');
  }
}

type A2AEvent =
  | { kind: 'task'; id: string }
  | { kind: 'status-update'; taskId: string; final?: boolean; status?: { state?: string; message?: { parts?: Array<{ kind?: string; text?: string }> } }; metadata?: Record<string, unknown> }
  | { kind: 'artifact-update'; taskId: string; artifact?: { parts?: A2APart[] } }
  | { kind: 'message'; taskId?: string; parts?: A2APart[] };

type A2APart = { kind?: string; text?: string; data?: unknown };

/** What `message/send` answers: the task as it stands (ended, when asked to block), or a message. */
type A2AAnswer =
  | { kind: 'task'; id: string; status?: { state?: string; message?: { parts?: A2APart[] } }; artifacts?: Array<{ parts?: A2APart[] }>; metadata?: Record<string, unknown> }
  | { kind: 'message'; parts?: A2APart[] };

/** v0.3 task states after which nothing more happens to the task. */
const FINAL_STATES = new Set(['completed', 'canceled', 'failed', 'rejected']);

/** The text of v0.3 parts: text as is, data as JSON; file parts carry no text. */
function textOfParts(parts: A2APart[] | undefined): string {
  return (parts ?? []).map((part) => (part.kind === 'data' ? JSON.stringify(part.data) : (part.text ?? ''))).join('');
}

/**
 * A foreign A2A agent has no lightning metadata: read the final status as the outcome. Its answer
 * is the final status message, or else the text of the artifacts it streamed (where ADK, LangGraph
 * and many SDK agents put it).
 */
function outcomeFromStatus(event: Extract<A2AEvent, { kind: 'status-update' }>, artifactText: string): WorkerOutcome {
  const text = textOfParts(event.status?.message?.parts);
  const state = event.status?.state ?? 'unknown';
  if (state === 'completed') return { status: 'completed', output: text || artifactText, error: null, usage: null, files: [] };
  if (state === 'canceled') return { status: 'cancelled', output: '', error: 'cancelled', usage: null, files: [] };
  return { status: 'failed', output: '', error: text || `the agent ended the task as ${state}`, usage: null, files: [] };
}

function errorMessageOf(text: string): string | null {
  try {
    const body = JSON.parse(text) as { error?: { message?: string } };
    return body.error?.message ?? null;
  } catch {
    return null;
  }
}

/** The result of a JSON-RPC answer or event from a worker; what is wrong with it as an AttemptError. */
function resultOf<T>(text: string, what: string): T | undefined {
  let envelope: { result?: T; error?: { message?: string } };
  try {
    envelope = JSON.parse(text) as typeof envelope;
  } catch {
    throw new AttemptError(`the worker ${what} that is not JSON`, 'protocol');
  }
  if (envelope.error) throw new AttemptError(`worker error: ${envelope.error.message ?? 'unknown'}`, 'protocol');
  return envelope.result;
}
