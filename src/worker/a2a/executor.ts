import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Message, Part, Task, TaskState as TaskStateEnum } from '@a2a-js/sdk';
import type { AgentExecutor, ExecutionEventBus, RequestContext } from '@a2a-js/sdk/server';
import { APPROVAL_WORKER_GRACE_MS } from '../../config/defaults.js';
import type { AgentConfig } from '../../config/types.js';
import type { ApprovalAnswer, ApprovalDecisionMessage, TaskProgress, WorkerBudget, WorkerOutcome } from '../../protocol/task.js';
import type { TaskMode } from '../../protocol/team-plan.js';
import type { ModelTaskOptions } from '../model/runner.js';
import { startSpan } from '../../util/tracing.js';
import { ApprovalWaits } from './approval-waits.js';

/** Where the request's `traceparent` header travels to the executor (the call context's state). */
export const TRACEPARENT_STATE = 'lightning.traceparent';
/**
 * Where a `message/send` request's AbortSignal travels to the executor (the call context's state):
 * aborted when the caller goes away before the answer, which cancels the task.
 */
export const CALLER_GONE_STATE = 'lightning.callerGone';

/** What the SDK module gives the executor at run time (loaded lazily, see rpc-endpoint.ts). */
export interface SdkRuntime {
  TaskState: typeof TaskStateEnum;
  Role: { ROLE_AGENT: number };
}

/** The model runner (injected: the endpoint loads it lazily, tests may pass their own). */
export type RunTask = (options: ModelTaskOptions) => Promise<WorkerOutcome>;

/** Metadata the supervisor puts on the message it sends. */
export interface LightningMessageMetadata {
  /** The supervisor's task id: names the workspace, shared by every attempt of the task. */
  taskId?: string;
  /** A team's subtask: the parent task's id, whose workspace every subtask shares. */
  workspace?: string;
  /** A team's plan or combine step (one model call, no tools). */
  mode?: TaskMode;
  /** What the task may still spend, and its model's price. */
  budget?: WorkerBudget;
  timeoutMs?: number;
  /**
   * The attempt's approval key: a decision on one of its tool calls must carry it. The supervisor
   * makes one per attempt; without it nobody can approve, and calls needing approval are denied.
   */
  approvalKey?: string;
  /** How long a call waits for a decision (the supervisor's `task.approvalTimeout`). */
  approvalTimeoutMs?: number;
  /**
   * The caller reads the answer from metadata.lightning.outcome only (the supervisor does): it is
   * then not repeated as an `output` artifact and a final status message, which would cost a third
   * of the events and two more copies of the answer on every task. Asked with `message/send`, it
   * reads no progress either, so none is published (but an approval request).
   */
  outcomeOnly?: boolean;
}

/** Model deltas are coalesced so a long answer is a few dozen events, not one per token. */
const DELTA_FLUSH_MS = 100;

/**
 * Runs each A2A task with the agent's model and tools and publishes its life as A2A events:
 * working (with progress in metadata.lightning), an output artifact, then a final status whose
 * metadata.lightning holds the WorkerOutcome (usage, files, honest error).
 */
export class ModelTaskExecutor implements AgentExecutor {
  private readonly running = new Map<string, { controller: AbortController; reason: 'cancelled' | 'timeout' | null }>();
  /** Tool calls waiting for a person's decision, which the supervisor sends (see decide()). */
  private readonly approvals = new ApprovalWaits();

  constructor(
    private readonly agent: AgentConfig,
    private readonly workspacesDir: string,
    private readonly runTask: RunTask,
    private readonly sdk: SdkRuntime,
    /** One line per finished task (the worker's stdout, i.e. its log file). */
    private readonly log: (line: string) => void = (line) => console.log(line),
  ) {}

  get active(): number {
    return this.running.size;
  }

  execute = async (context: RequestContext, bus: ExecutionEventBus): Promise<void> => {
    const { taskId, contextId } = context;
    const startedAt = Date.now();
    const message = context.userMessage;
    const meta = (message.metadata?.lightning ?? {}) as LightningMessageMetadata;
    const workspaceId = sanitize(meta.workspace ?? meta.taskId ?? taskId);
    const entry = { controller: new AbortController(), reason: null as 'cancelled' | 'timeout' | null };
    this.running.set(taskId, entry);
    const timeoutMs = meta.timeoutMs ?? this.agent.task.timeoutMs;
    // The task's clock stops while a tool call waits for a person: the wait is not the task's
    // work, and a person must have the whole approval timeout to decide (the supervisor agrees).
    let remainingMs = timeoutMs;
    let armedAt = Date.now();
    const fire = (): void => {
      entry.reason = 'timeout';
      entry.controller.abort(new Error(`timed out after ${timeoutMs} ms`));
    };
    let timer: NodeJS.Timeout | null = setTimeout(fire, remainingMs);
    const pauseClock = (): void => {
      if (!timer) return;
      clearTimeout(timer);
      timer = null;
      remainingMs -= Date.now() - armedAt;
    };
    const resumeClock = (): void => {
      if (timer || entry.controller.signal.aborted) return;
      armedAt = Date.now();
      timer = setTimeout(fire, Math.max(0, remainingMs));
    };
    const status = (state: TaskStateEnum, extra: Partial<{ message: Message; lightning: unknown }> = {}) =>
      bus.publish({
        kind: 'statusUpdate',
        data: {
          taskId,
          contextId,
          status: { state, message: extra.message, timestamp: new Date().toISOString() },
          metadata: extra.lightning === undefined ? undefined : { lightning: extra.lightning },
        },
      });
    // A new task starts out as working: one event fewer per task on the SDK's hot path.
    if (!context.task) bus.publish({ kind: 'task', data: this.newTask(taskId, contextId, message) });
    else status(this.sdk.TaskState.TASK_STATE_WORKING);

    let pendingDelta = '';
    let flushTimer: NodeJS.Timeout | null = null;
    const flushDelta = () => {
      flushTimer = null;
      if (!pendingDelta) return;
      const progress: TaskProgress = { kind: 'delta', text: pendingDelta };
      pendingDelta = '';
      status(this.sdk.TaskState.TASK_STATE_WORKING, { lightning: { progress } });
    };
    const callerGone = context.context?.state?.get(CALLER_GONE_STATE) as AbortSignal | undefined;
    // A supervisor asking with `message/send` reads the outcome alone, once the task has ended:
    // progress events would only be built, stored and dropped. A person's approval is still asked.
    const outcomeAlone = callerGone !== undefined && meta.outcomeOnly === true;
    const onProgress = (progress: TaskProgress) => {
      if (outcomeAlone && progress.kind !== 'approval') return;
      if (progress.kind === 'delta') {
        pendingDelta += progress.text;
        flushTimer ??= setTimeout(flushDelta, DELTA_FLUSH_MS);
        return;
      }
      flushDelta();
      status(this.sdk.TaskState.TASK_STATE_WORKING, { lightning: { progress } });
    };

    const approvalTimeoutMs = meta.approvalTimeoutMs ?? this.agent.task.approvalTimeoutMs;
    // Only a task from a supervisor (which sent the attempt's key) can have a call approved.
    const approvalKey = typeof meta.approvalKey === 'string' && meta.approvalKey !== '' ? meta.approvalKey : null;
    const approve = async (key: string, call: { tool: string; args: string }): Promise<ApprovalAnswer | null> => {
      const id = randomUUID();
      pauseClock();
      onProgress({ kind: 'approval', id, tool: call.tool, args: call.args });
      try {
        return await this.approvals.wait(taskId, id, key, entry.controller.signal, approvalTimeoutMs + APPROVAL_WORKER_GRACE_MS);
      } finally {
        resumeClock();
      }
    };

    const onCallerGone = (): void => this.cancel(taskId);
    callerGone?.addEventListener('abort', onCallerGone, { once: true });
    if (callerGone?.aborted) onCallerGone();

    const traceparent = context.context?.state?.get(TRACEPARENT_STATE);
    const span = startSpan('execute', {
      'lightning.task.id': meta.taskId ?? taskId,
      'lightning.agent': this.agent.name,
      'a2a.task.id': taskId,
    }, typeof traceparent === 'string' ? traceparent : null, 'server');
    let outcome: WorkerOutcome;
    try {
      outcome = await this.runTask({
        trace: span,
        taskId: workspaceId,
        input: textOf(message.parts),
        agent: this.agent,
        workspace: path.join(this.workspacesDir, workspaceId),
        signal: entry.controller.signal,
        onProgress,
        ...(approvalKey !== null ? { approve: (call: { tool: string; args: string }) => approve(approvalKey, call) } : {}),
        ...(meta.mode === 'plan' || meta.mode === 'combine' ? { mode: meta.mode } : {}),
        ...(meta.budget ? { budget: meta.budget } : {}),
      });
    } catch (error) {
      outcome = { status: 'failed', output: '', error: `worker error: ${(error as Error).message}`, usage: null, files: [] };
    } finally {
      callerGone?.removeEventListener('abort', onCallerGone);
      if (timer) clearTimeout(timer);
      if (flushTimer) clearTimeout(flushTimer);
      this.running.delete(taskId);
    }
    if (outcome.status === 'cancelled' && entry.reason === 'timeout') {
      outcome = { ...outcome, status: 'timeout', error: `timed out after ${timeoutMs} ms` };
    }
    span.set({ 'lightning.task.status': outcome.status });
    if (outcome.status !== 'completed') span.fail(outcome.error ?? outcome.status);
    span.end();
    flushDelta();
    this.log(describeFinishedTask(meta.taskId ?? taskId, outcome, Date.now() - startedAt));
    if (outcome.status === 'completed' && !meta.outcomeOnly) {
      bus.publish({
        kind: 'artifactUpdate',
        data: {
          taskId,
          contextId,
          artifact: { artifactId: `${taskId}-output`, name: 'output', description: 'the answer', parts: [textPart(outcome.output)], metadata: undefined, extensions: [] },
          append: false,
          lastChunk: true,
          metadata: undefined,
        },
      });
    }
    const answer = outcome.status === 'completed' ? outcome.output : (outcome.error ?? outcome.status);
    status(this.finalState(outcome), { ...(meta.outcomeOnly ? {} : { message: this.agentMessage(taskId, contextId, answer) }), lightning: { outcome } });
    bus.finished();
  };

  /** A decision on a waiting tool call of task `taskId`, as the supervisor sent it. */
  decide(taskId: string, decision: ApprovalDecisionMessage): 'decided' | 'not-waiting' | 'refused' {
    return this.approvals.decide(taskId, decision);
  }

  cancelTask = async (taskId: string, _bus: ExecutionEventBus): Promise<void> => this.cancel(taskId);

  /** Aborts a running task (its model request too); unknown or finished ids are ignored. */
  cancel(taskId: string): void {
    const entry = this.running.get(taskId);
    if (!entry || entry.reason) return;
    entry.reason = 'cancelled';
    entry.controller.abort(new Error('cancelled'));
  }

  private finalState(outcome: WorkerOutcome): TaskStateEnum {
    const { TaskState } = this.sdk;
    switch (outcome.status) {
      case 'completed':
        return TaskState.TASK_STATE_COMPLETED;
      case 'cancelled':
        return TaskState.TASK_STATE_CANCELED;
      case 'failed':
      case 'timeout':
        return TaskState.TASK_STATE_FAILED;
      default: {
        const unreachable: never = outcome.status;
        return unreachable;
      }
    }
  }

  private newTask(taskId: string, contextId: string, message: Message): Task {
    return {
      id: taskId,
      contextId,
      status: { state: this.sdk.TaskState.TASK_STATE_WORKING, message: undefined, timestamp: new Date().toISOString() },
      artifacts: [],
      history: [message],
      metadata: undefined,
    };
  }

  private agentMessage(taskId: string, contextId: string, text: string): Message {
    return {
      messageId: `${taskId}-${Date.now()}`,
      contextId,
      taskId,
      role: this.sdk.Role.ROLE_AGENT,
      parts: [textPart(text)],
      metadata: undefined,
      extensions: [],
      referenceTaskIds: [],
    };
  }
}

/**
 * `task 3f2a… completed in 812 ms · 1234 tokens (1200 in, 34 out)`: what an operator tailing the
 * log needs (which task, how long, what it cost, how it ended) and never the task's input or
 * output, which may hold anything the user typed. A failure's reason is our own sentence.
 */
export function describeFinishedTask(taskId: string, outcome: WorkerOutcome, durationMs: number): string {
  const usage = outcome.usage;
  const tokens = usage ? `${usage.totalTokens} tokens (${usage.promptTokens} in, ${usage.completionTokens} out)` : 'no token usage reported';
  const why = outcome.status === 'completed' || outcome.error === null ? '' : ` — ${outcome.error.split('\n', 1)[0]!.slice(0, 200)}`;
  return `task ${taskId} ${outcome.status} in ${durationMs} ms · ${tokens}${why}`;
}

function textPart(text: string): Part {
  return { content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: 'text/plain' };
}

function textOf(parts: Part[]): string {
  return parts
    .map((part) => (part.content?.$case === 'text' ? part.content.value : part.content?.$case === 'data' ? JSON.stringify(part.content.value) : ''))
    .filter(Boolean)
    .join('\n');
}

/** Task ids name directories: a safe alphabet without dots, so no id can be `..`. */
function sanitize(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 128) || 'task';
}
