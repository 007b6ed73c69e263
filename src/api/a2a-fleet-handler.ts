import type { FleetEvent, TaskEvent } from '../protocol/events.js';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isUtf8 } from 'node:buffer';
import type {
  AgentCard,
  CancelTaskRequest,
  GetTaskRequest,
  ListTasksRequest,
  ListTasksResponse,
  Message,
  SendMessageRequest,
  StreamResponse,
  SubscribeToTaskRequest,
  Task,
  TaskPushNotificationConfig,
} from '@a2a-js/sdk';
import {
  PushNotificationNotSupportedError,
  RequestMalformedError,
  TaskNotCancelableError,
  TaskNotFoundError,
  UnsupportedOperationError,
} from '@a2a-js/sdk/errors';
import type { A2ARequestHandler } from '@a2a-js/sdk/server';
import type { TaskResult } from '../protocol/task.js';
import { TERMINAL_STATUSES } from '../protocol/task.js';
import { TaskRequestError } from './task-routes.js';
import type { Submitted, TaskListener, TaskService } from '../tasks/service.js';
import type { A2AOrigin } from './a2a-task-view.js';
import { A2A_STATE, agentMessage, artifactsOf, lightningMetadata, stateOf, statusesOf, toA2ATask } from './a2a-task-view.js';

/** How many A2A tasks' context ids and first messages are remembered (the ledger keeps the rest). */
export const A2A_ORIGINS_KEPT = 10_000;
/** ListTasks page size when the client names none, and the most it may ask for (as the SDK). */
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 100;
/** The most tasks ListTasks looks through (newest first) for one answer. */
const LIST_WINDOW = 10_000;
/** How long CancelTask waits for the cancelled attempt to end before answering with what it knows. */
const CANCEL_WAIT_MS = 10_000;
const TERMINAL_EVENTS = new Set(['task.completed', 'task.failed', 'task.cancelled', 'task.interrupted']);


/**
 * The fleet as one A2A agent: each A2A method over the supervisor's TaskService. A message is a
 * task submitted exactly like `lightning run` (routed, recorded in the ledger), and the A2A task id
 * is the ledger's task id, so GetTask and ListTasks see every task of the fleet, whoever sent it,
 * across supervisor restarts. The SDK's JSON-RPC transports (v1.0 and v0.3) sit in front.
 */
export class FleetRequestHandler implements A2ARequestHandler {
  /** Context id and original message of tasks sent over A2A, oldest first (bounded). */
  private readonly origins = new Map<string, A2AOrigin>();

  constructor(
    private readonly card: () => AgentCard,
    private readonly tasks: () => Promise<TaskService | null>,
    private readonly workspacesDir: string | null,
  ) {}

  async getAgentCard(): Promise<AgentCard> {
    return this.card();
  }

  async getAuthenticatedExtendedAgentCard(): Promise<AgentCard> {
    throw new UnsupportedOperationError('the fleet has no extended agent card');
  }

  async sendMessage(params: SendMessageRequest): Promise<Message | Task> {
    const tasks = await this.service();
    const accepted = this.accept(params, tasks);
    const { id, durable } = await this.submit(tasks, accepted);
    if (params.configuration?.returnImmediately) {
      await durable();
    } else {
      await tasks.whenDone(id);
    }
    return this.taskOf(tasks, id, params.configuration?.historyLength);
  }

  async *sendMessageStream(params: SendMessageRequest): AsyncGenerator<StreamResponse, void, undefined> {
    const tasks = await this.service();
    const accepted = this.accept(params, tasks);
    // Listening before the task starts, so no event of it is missed.
    const feed = new EventFeed();
    try {
      const { id, unsubscribe } = await this.submit(tasks, accepted, feed.push);
      feed.attach(unsubscribe);
      yield { payload: { $case: 'task', value: this.taskOf(tasks, id, params.configuration?.historyLength) } };
      yield* this.follow(tasks, id, feed);
    } finally {
      feed.close();
    }
  }

  async getTask(params: GetTaskRequest): Promise<Task> {
    const tasks = await this.service();
    return this.taskOf(tasks, requireId(params.id), params.historyLength);
  }

  async listTasks(params: ListTasksRequest): Promise<ListTasksResponse> {
    const tasks = await this.service();
    const pageSize = params.pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) throw new RequestMalformedError(`pageSize must be between 1 and ${MAX_PAGE_SIZE}`);
    const wanted = params.status ? statusesOf(params.status) : null;
    if (wanted !== null && wanted.length === 0) throw new RequestMalformedError(`Invalid status filter: ${String(params.status)}`);
    const after = params.statusTimestampAfter ? Date.parse(params.statusTimestampAfter) : null;
    if (after !== null && Number.isNaN(after)) throw new RequestMalformedError('statusTimestampAfter must be a valid ISO 8601 date string');
    const start = params.pageToken ? Number(params.pageToken) : 0;
    if (!Number.isInteger(start) || start < 0) throw new RequestMalformedError(`invalid pageToken "${params.pageToken}": pass the nextPageToken of the previous page`);
    const matching = tasks.list({ limit: LIST_WINDOW }).filter((result) => {
      if (wanted && !wanted.includes(result.status)) return false;
      if (params.contextId && this.contextOf(result.id) !== params.contextId) return false;
      if (after !== null && Date.parse(result.finishedAt ?? result.submittedAt) <= after) return false;
      return true;
    });
    const page = matching.slice(start, start + pageSize).map((result) => {
      const task = this.shape(toA2ATask(result, this.origins.get(result.id), this.workspacesDir), params.historyLength);
      if (!params.includeArtifacts) task.artifacts = [];
      return task;
    });
    const next = start + pageSize < matching.length ? String(start + pageSize) : '';
    return { tasks: page, nextPageToken: next, pageSize, totalSize: matching.length };
  }

  async cancelTask(params: CancelTaskRequest): Promise<Task> {
    const tasks = await this.service();
    const id = requireId(params.id);
    const outcome = tasks.cancel(id);
    if (outcome === 'not-found') throw new TaskNotFoundError(`Task not found: ${id}`);
    if (outcome === 'cancelling') {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([tasks.whenDone(id), new Promise((resolve) => (timer = setTimeout(resolve, CANCEL_WAIT_MS)))]);
      clearTimeout(timer);
    }
    const task = this.taskOf(tasks, id, undefined);
    if (task.status?.state === A2A_STATE.canceled || (outcome === 'cancelling' && task.status?.state === A2A_STATE.working)) return task;
    throw new TaskNotCancelableError(`Task ${id} has already ended (${tasks.result(id)?.status ?? 'unknown'}) and cannot be canceled`);
  }

  async *resubscribe(params: SubscribeToTaskRequest): AsyncGenerator<StreamResponse, void, undefined> {
    const tasks = await this.service();
    const id = requireId(params.id);
    const feed = new EventFeed();
    try {
      feed.attach(tasks.subscribe(feed.push, { taskId: id }));
      const result = tasks.result(id);
      if (!result) throw new TaskNotFoundError(`Task not found: ${id}`);
      if (TERMINAL_STATUSES.has(result.status)) {
        throw new UnsupportedOperationError(`Task ${id} is in a terminal state (${result.status}) and cannot be subscribed to; use GetTask`);
      }
      yield { payload: { $case: 'task', value: this.taskOf(tasks, id, undefined) } };
      yield* this.follow(tasks, id, feed);
    } finally {
      feed.close();
    }
  }

  async createTaskPushNotificationConfig(): Promise<TaskPushNotificationConfig> {
    throw new PushNotificationNotSupportedError();
  }

  async getTaskPushNotificationConfig(): Promise<TaskPushNotificationConfig> {
    throw new PushNotificationNotSupportedError();
  }

  async listTaskPushNotificationConfigs(): Promise<never> {
    throw new PushNotificationNotSupportedError();
  }

  async deleteTaskPushNotificationConfig(): Promise<void> {
    throw new PushNotificationNotSupportedError();
  }

  /** The task's events as A2A stream responses, up to and including its final status. */
  private async *follow(tasks: TaskService, id: string, feed: EventFeed): AsyncGenerator<StreamResponse, void, undefined> {
    const contextId = this.contextOf(id);
    const working = (metadata: Record<string, unknown>): StreamResponse => ({
      payload: { $case: 'statusUpdate', value: { taskId: id, contextId, status: { state: A2A_STATE.working, message: undefined, timestamp: new Date().toISOString() }, metadata } },
    });
    // A task that ended between submit (or the subscription) and now has no event left to wait for.
    // Checked only once the events already received are passed on: a fast task is terminal in the
    // ledger while its last progress (a tool result, the last deltas) still waits in the feed.
    for (;;) {
      const current = feed.pending ? null : tasks.result(id);
      if (current && TERMINAL_STATUSES.has(current.status)) {
        yield* this.ending(current);
        return;
      }
      const event = await feed.next();
      if (event === null) return;
      // A team step's events say which step they are about (its own task id).
      const step = event.taskId !== id ? { step: event.taskId } : {};
      if (TERMINAL_EVENTS.has(event.event)) {
        if (event.taskId !== id) yield working({ lightning: { ...step, ended: event.event.slice('task.'.length) } });
        continue;
      }
      if (event.event === 'task.planned') yield working({ lightning: { planned: event['subtasks'] } });
      else if (event.event === 'task.routed') yield working({ lightning: { ...step, routed: { agent: event['agent'], instance: event['instance'], attempt: event['attempt'] } } });
      // Said as `working` with the approval in metadata, not as input-required: A2A clients end a
      // stream at input-required, and the answer here comes from a person, not from this client.
      else if (event.event === 'approval.requested') yield working({ lightning: { ...step, approval: { id: event['approvalId'], tool: event['tool'], args: event['args'], state: 'awaiting' } } });
      else if (event.event === 'approval.decided') yield working({ lightning: { ...step, approval: { id: event['approvalId'], tool: event['tool'], state: event['verdict'], note: event['note'] } } });
      else if (event.event === 'task.progress') yield working({ lightning: { ...step, agent: event['agent'], instance: event['instance'], progress: event['progress'] } });
      else if (event.event === 'task.attempt' && event['status'] !== 'completed') {
        yield working({ lightning: { ...step, attempt: { agent: event['agent'], instance: event['instance'], status: event['status'], error: event['error'] } } });
      }
    }
  }

  /** A finished task's artifacts (answer, files), then its final status. */
  private *ending(result: TaskResult): Generator<StreamResponse, void, undefined> {
    const contextId = this.contextOf(result.id);
    for (const artifact of artifactsOf(result, this.workspacesDir)) {
      yield { payload: { $case: 'artifactUpdate', value: { taskId: result.id, contextId, artifact, append: false, lastChunk: true, metadata: undefined } } };
    }
    const status = { state: stateOf(result.status), message: agentMessage(result, contextId), timestamp: result.finishedAt ?? new Date().toISOString() };
    yield { payload: { $case: 'statusUpdate', value: { taskId: result.id, contextId, status, metadata: lightningMetadata(result) } } };
  }

  private async service(): Promise<TaskService> {
    const tasks = await this.tasks();
    if (!tasks) throw new UnsupportedOperationError('the task ledger could not be opened; see .lightning/supervisor.log');
    return tasks;
  }

  /** What a message asks for, validated: the task text, and the agent and timeout it may name. */
  private accept(params: SendMessageRequest, tasks: TaskService): Accepted {
    const message = params.message;
    if (!message) throw new RequestMalformedError('params.message is required');
    if (!message.messageId) throw new RequestMalformedError('message.messageId is required');
    if (message.taskId) {
      const existing = tasks.result(message.taskId);
      if (!existing) throw new TaskNotFoundError(`Task not found: ${message.taskId}`);
      if (TERMINAL_STATUSES.has(existing.status)) {
        throw new UnsupportedOperationError(`Task ${message.taskId} is in a terminal state (${existing.status}) and cannot be modified`);
      }
      // Approval is a person's, through the control API with its token: never an A2A message's,
      // whoever holds the A2A token (an agent may).
      if (existing.status === 'awaiting-approval') {
        throw new UnsupportedOperationError(`Task ${message.taskId} awaits a person's approval of a tool call; an A2A message cannot give it: approve or deny with \`lightning approve|deny ${message.taskId}\` or the control API`);
      }
      throw new UnsupportedOperationError(`Task ${message.taskId} is running and takes no further messages: a task of the fleet is one message; send a new one without taskId`);
    }
    const texts: string[] = [];
    const attachments: Attachment[] = [];
    for (const [index, part] of (message.parts ?? []).entries()) {
      const content = part.content;
      if (content?.$case === 'text') texts.push(content.value);
      else if (content?.$case === 'data') texts.push(JSON.stringify(content.value));
      else if (content?.$case === 'url') texts.push(`[file ${part.filename || content.value} (${part.mediaType || 'unknown type'}) at ${content.value}]`);
      else if (content?.$case === 'raw') {
        const name = safeFileName(part.filename, index);
        const bytes = Buffer.from(content.value);
        if (isTextual(part.mediaType) && isUtf8(bytes)) texts.push(`[file ${name} (${part.mediaType})]\n${bytes.toString('utf8')}`);
        else {
          attachments.push({ name, bytes });
          texts.push(`[file ${name} (${part.mediaType || 'unknown type'}, ${bytes.length} bytes): saved in the task's workspace as ${ATTACHMENTS_DIR}/${name}]`);
        }
      }
    }
    const input = texts.join('\n');
    if (input.trim() === '') throw new RequestMalformedError('the message has no text: put the task in a text part');
    const options = { ...(message.metadata ?? {}), ...(params.metadata ?? {}) } as { agent?: unknown; timeoutMs?: unknown; team?: unknown };
    if (options.team !== undefined && typeof options.team !== 'boolean') throw new RequestMalformedError('metadata.team must be true or false');
    if (options.team === true && options.agent !== undefined) throw new RequestMalformedError('a team task is planned across agents: give metadata.team or metadata.agent, not both');
    if (options.agent !== undefined && (typeof options.agent !== 'string' || options.agent === '')) throw new RequestMalformedError('metadata.agent must be an agent name');
    if (options.timeoutMs !== undefined && (!Number.isInteger(options.timeoutMs) || (options.timeoutMs as number) < 1)) {
      throw new RequestMalformedError('metadata.timeoutMs must be a positive integer (milliseconds)');
    }
    return { input, agent: options.agent as string | undefined, timeoutMs: options.timeoutMs as number | undefined, team: options.team as boolean | undefined, message, attachments };
  }

  private async submit(tasks: TaskService, accepted: Accepted, onEvent?: TaskListener): Promise<Submitted> {
    if (!tasks.accepting()) throw new UnsupportedOperationError('the supervisor is stopping and takes no new tasks');
    let submitted: Submitted;
    try {
      submitted = await tasks.submit({ input: accepted.input, agent: accepted.agent, timeoutMs: accepted.timeoutMs, team: accepted.team }, onEvent);
    } catch (error) {
      if (error instanceof TaskRequestError) throw new RequestMalformedError(error.message);
      throw error;
    }
    // Before the worker's first model round trip is over, so before any tool could look for them.
    if (accepted.attachments.length > 0 && this.workspacesDir) saveAttachments(path.join(this.workspacesDir, submitted.id, ATTACHMENTS_DIR), accepted.attachments);
    const contextId = accepted.message.contextId || randomUUID();
    this.remember(submitted.id, { contextId, message: { ...accepted.message, taskId: submitted.id, contextId } });
    return submitted;
  }

  private remember(id: string, origin: A2AOrigin): void {
    this.origins.set(id, origin);
    while (this.origins.size > A2A_ORIGINS_KEPT) {
      const oldest = this.origins.keys().next().value;
      if (oldest === undefined) break;
      this.origins.delete(oldest);
    }
  }

  private contextOf(id: string): string {
    return this.origins.get(id)?.contextId ?? id;
  }

  private taskOf(tasks: TaskService, id: string, historyLength: number | undefined): Task {
    const result = tasks.result(id);
    if (!result) throw new TaskNotFoundError(`Task not found: ${id}`);
    return this.shape(toA2ATask(result, this.origins.get(id), this.workspacesDir), historyLength);
  }

  /** historyLength: absent → all, 0 → none, N → the last N messages. */
  private shape(task: Task, historyLength: number | undefined): Task {
    if (historyLength !== undefined) task.history = historyLength <= 0 ? [] : task.history.slice(-historyLength);
    return task;
  }
}

interface Attachment {
  name: string;
  bytes: Buffer;
}

interface Accepted {
  input: string;
  agent: string | undefined;
  timeoutMs: number | undefined;
  /** Plan it into subtasks for several agents: still one A2A task, its steps' events as progress. */
  team: boolean | undefined;
  message: Message;
  /** Binary file parts, saved in the task's workspace once it has an id. */
  attachments: Attachment[];
}

/** Where a task's binary attachments go, inside its workspace. */
const ATTACHMENTS_DIR = 'attachments';

function saveAttachments(dir: string, attachments: Attachment[]): void {
  mkdirSync(dir, { recursive: true });
  for (const { name, bytes } of attachments) writeFileSync(path.join(dir, name), bytes);
}

/** A file name safe to create in a workspace: its last path segment in a plain alphabet. */
function safeFileName(given: string, index: number): string {
  const base = path.basename(given || '').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '');
  return base.slice(0, 128) || `attachment-${index + 1}`;
}

/** Media types whose bytes are text an agent can read in the task itself. */
function isTextual(mediaType: string): boolean {
  return /^text\//.test(mediaType) || /^application\/(json|xml|yaml|x-yaml|javascript|x-sh)\b/.test(mediaType) || /\+(json|xml)$/.test(mediaType);
}

function requireId(id: string | undefined): string {
  if (!id || id.trim() === '') throw new RequestMalformedError('Task ID is required');
  return id;
}

/**
 * One task's events as a pull queue: push() is the listener (on before the task starts, so
 * nothing is missed), next() reads, close() (or the consumer stopping) unsubscribes.
 */
class EventFeed {
  private readonly queue: TaskEvent[] = [];
  private waiter: ((event: TaskEvent | null) => void) | null = null;
  private unsubscribe: () => void = () => undefined;
  private closed = false;

  readonly push = (event: TaskEvent): void => {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = null;
      waiter(event);
    } else this.queue.push(event);
  };

  /** Events received and not yet taken. */
  get pending(): boolean {
    return this.queue.length > 0;
  }

  attach(unsubscribe: () => void): void {
    if (this.closed) unsubscribe();
    else this.unsubscribe = unsubscribe;
  }

  next(): Promise<TaskEvent | null> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => (this.waiter = resolve));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.waiter?.(null);
    this.waiter = null;
  }
}
