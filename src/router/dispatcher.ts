import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { LedgerEvent, LedgerEventBody } from '../ledger/events.js';
import type { TaskIndex, TaskView } from '../ledger/reader.js';
import type { AttemptRecord, TaskProgress, WorkerOutcome } from '../protocol/task.js';
import { TERMINAL_STATUSES } from '../protocol/task.js';
import type { FleetView, RoutableInstance } from './fleet-view.js';
import { InstancePicker } from './instance-picker.js';
import type { Choice } from './instance-picker.js';
import type { RankedAgent, RouteDecision, TaskRouter } from './router.js';
import { AttemptError } from './worker-client.js';

/** What the dispatcher streams to /v1/events and `lightning run`: every ledger event, plus progress. */
export type DispatchEvent = LedgerEvent | { event: 'task.progress'; taskId: string; ts: string; agent: string; instance: number; progress: TaskProgress };

export interface SubmitRequest {
  input: string;
  agent?: string | undefined;
  timeoutMs?: number | undefined;
}

export class UnknownAgentError extends Error {}

export interface DispatcherOptions {
  fleet: FleetView;
  router: TaskRouter;
  index: TaskIndex;
  /** Durable append (resolves once fsynced). */
  append(event: LedgerEvent): Promise<void>;
  /** How long a task waits for a healthy candidate before failing. */
  waitForAgentMs: number;
  /** Ledger keeps at most this much output inline; the rest goes to a file. */
  storeOutput(taskId: string, output: string): { output: string; outputFile: string | null };
  /** Replaces secrets (API keys, tokens) in text before it goes anywhere. */
  redact(text: string): string;
}

interface Running {
  controller: AbortController;
  cancelledBy: 'user' | 'api' | null;
  done: Promise<TaskView>;
}

/**
 * Takes tasks, routes each to the best healthy instance, runs attempts with failover and
 * records everything in the ledger. The ledger's events are the task's state: the in-memory
 * index is only that ledger, derived.
 */
export class TaskDispatcher extends EventEmitter<{ event: [DispatchEvent]; 'ledger-error': [Error] }> {
  private readonly running = new Map<string, Running>();
  private readonly picker: InstancePicker;

  constructor(private readonly options: DispatcherOptions) {
    super();
    this.setMaxListeners(0);
    this.picker = new InstancePicker(options.fleet);
  }

  get inflightByInstance(): ReadonlyMap<string, number> {
    return this.picker.inflight;
  }

  /**
   * Validates and records the task and starts it. Returns its id at once, and a promise that
   * settles when its submission is on disk (what a 202 must wait for).
   */
  async submit(request: SubmitRequest): Promise<{ id: string; durable: Promise<void> }> {
    if (request.agent !== undefined && !this.options.fleet.agentNames().includes(request.agent)) {
      throw new UnknownAgentError(`unknown agent "${request.agent}"; known agents: ${this.options.fleet.agentNames().join(', ')}`);
    }
    const id = randomUUID();
    // A secret pasted into a task goes no further: not to the model, the ledger or any answer.
    request = { ...request, input: this.options.redact(request.input) };
    const decision = this.options.router.route(request.input, request.agent);
    const settings = this.options.fleet.taskSettings(decision.pick || null);
    const timeoutMs = request.timeoutMs ?? settings.timeoutMs;
    const durable = this.record(id, { event: 'task.submitted', input: request.input, agent: request.agent ?? null, timeoutMs });
    // `done` is set on the next line; the attempt loop needs the entry itself to see cancellation.
    const running = { controller: new AbortController(), cancelledBy: null } as unknown as Running;
    running.done = this.execute(id, request.input, decision, timeoutMs, settings.retries, running).finally(() => this.running.delete(id));
    this.running.set(id, running);
    return { id, durable };
  }

  /** Resolves with the task once it has ended (at once for a task that already has). */
  async whenDone(id: string): Promise<TaskView | undefined> {
    const running = this.running.get(id);
    if (running) return running.done;
    return this.options.index.get(id);
  }

  cancel(id: string, by: 'user' | 'api' = 'api'): 'cancelling' | 'finished' | 'not-found' {
    const view = this.options.index.get(id);
    if (!view) return 'not-found';
    // The index turns terminal before the task's last line is durable: it is the one to ask.
    if (TERMINAL_STATUSES.has(view.status)) return 'finished';
    const running = this.running.get(id);
    if (running) {
      running.cancelledBy ??= by;
      running.controller.abort();
      return 'cancelling';
    }
    return 'finished';
  }

  /**
   * Records a user's verdict on a finished task. It is a ledger event like any other, so the
   * learned policy sees it now and again after every restart.
   */
  async feedback(id: string, rating: 'good' | 'bad', note: string | null): Promise<'recorded' | 'not-finished' | 'not-found'> {
    const view = this.options.index.get(id);
    if (!view) return 'not-found';
    if (!TERMINAL_STATUSES.has(view.status)) return 'not-finished';
    await this.record(id, { event: 'feedback', rating, note });
    return 'recorded';
  }

  /** Cancels whatever runs (graceful shutdown); their end is recorded as cancelled. */
  async cancelAll(): Promise<void> {
    const all = [...this.running.values()];
    for (const running of all) {
      running.cancelledBy ??= 'api';
      running.controller.abort();
    }
    await Promise.allSettled(all.map((running) => running.done));
  }

  private async execute(id: string, input: string, decision: RouteDecision, timeoutMs: number, retries: number, running: Running): Promise<TaskView> {
    const ranked = decision.ranked;
    const started = Date.now();
    const deadline = started + timeoutMs;
    const timer = setTimeout(() => running.controller.abort(), timeoutMs);
    const tried = new Set<string>();
    const elapsed = () => Date.now() - started;
    const signal = running.controller.signal;
    let lastError = 'no attempt was made';
    try {
      for (let attempt = 1; attempt <= retries + 1; attempt += 1) {
        const choice = await this.picker.choose(ranked, tried, { signal, waitMs: this.options.waitForAgentMs, firstAttempt: attempt === 1 });
        if (signal.aborted) break;
        if (!choice) {
          const reason = tried.size === 0 ? noCandidateReason(ranked, this.options.waitForAgentMs) : `${lastError}; no other healthy instance to retry on`;
          await this.record(id, { event: 'task.failed', reason: tried.size === 0 ? 'no-agent' : 'error', error: reason, durationMs: elapsed() });
          return this.view(id);
        }
        tried.add(choice.instance.id);
        const result = await this.routeAndRun(id, input, attempt, decision, choice, deadline, signal).finally(() =>
          this.picker.release(choice.instance.id, choice.instance.agent),
        );
        const record: AttemptRecord = {
          agent: choice.instance.agent,
          instance: choice.instance.index,
          status: result.kind === 'outcome' ? result.outcome.status : signal.aborted ? (running.cancelledBy ? 'cancelled' : 'timeout') : 'failed',
          error: result.kind === 'outcome' ? result.outcome.error : result.error.message,
          durationMs: result.durationMs,
        };
        // Not awaited: the ledger keeps order, and the terminal event awaited below covers it.
        void this.record(id, { event: 'task.attempt', attempt, ...record, ...(result.kind === 'error' ? { transport: true } : {}) });
        if (result.kind === 'outcome') return await this.finish(id, choice.instance, result.outcome, running, elapsed());
        lastError = `${choice.instance.id}: ${result.error.message}`;
        if (signal.aborted) break;
        // A refusal for capacity costs no retry: the instance was busy, not broken.
        if (result.error.reason === 'refused') attempt -= 1;
      }
      if (signal.aborted) return await this.finishAborted(id, running, elapsed(), timeoutMs);
      await this.record(id, { event: 'task.failed', reason: 'error', error: `${lastError} (after ${retries + 1} attempts)`, durationMs: elapsed() });
      return this.view(id);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Records the routing decision, then runs one attempt on the chosen (already reserved) instance. */
  private async routeAndRun(id: string, input: string, attempt: number, decision: RouteDecision, choice: Choice, deadline: number, signal: AbortSignal) {
    void this.record(id, {
      event: 'task.routed',
      attempt,
      agent: choice.instance.agent,
      instance: choice.instance.index,
      candidates: decision.candidates,
      reason: attempt === 1 && choice.instance.agent === decision.pick ? `${decision.reason}; ${choice.reason}` : choice.reason,
      static: decision.static,
      explored: decision.explored,
      ...(attempt === 1 ? { decision: decision.decision, probability: decision.probability } : {}),
    });
    const started = Date.now();
    const result = await this.attempt(id, input, choice.instance, Math.max(1, deadline - Date.now()), signal);
    return { ...result, durationMs: Date.now() - started };
  }

  private async attempt(
    id: string,
    input: string,
    instance: RoutableInstance,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<{ kind: 'outcome'; outcome: WorkerOutcome } | { kind: 'error'; error: AttemptError }> {
    const client = this.options.fleet.client(instance);
    let remoteTaskId: string | null = null;
    const onAbort = () => {
      if (remoteTaskId) void client.cancel(remoteTaskId);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const outcome = await client.run({
        taskId: id,
        input,
        timeoutMs,
        signal,
        onRemoteTask: (remote) => (remoteTaskId = remote),
        onProgress: (progress) =>
          this.emit('event', { event: 'task.progress', taskId: id, ts: new Date().toISOString(), agent: instance.agent, instance: instance.index, progress }),
      });
      return { kind: 'outcome', outcome };
    } catch (error) {
      return { kind: 'error', error: error instanceof AttemptError ? error : new AttemptError(String(error), 'protocol') };
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async finish(id: string, instance: RoutableInstance, raw: WorkerOutcome, running: Running, durationMs: number): Promise<TaskView> {
    const outcome = { ...raw, output: this.options.redact(raw.output), error: raw.error === null ? null : this.options.redact(raw.error) };
    switch (outcome.status) {
      case 'completed': {
        const stored = this.options.storeOutput(id, outcome.output);
        await this.record(id, {
          event: 'task.completed',
          agent: instance.agent,
          instance: instance.index,
          output: stored.output,
          outputFile: stored.outputFile,
          usage: outcome.usage,
          files: outcome.files,
          durationMs,
        });
        break;
      }
      case 'cancelled':
        await this.record(id, { event: 'task.cancelled', by: running.cancelledBy ?? 'api', durationMs });
        break;
      case 'timeout':
        await this.record(id, { event: 'task.failed', reason: 'timeout', error: outcome.error ?? 'timed out', durationMs });
        break;
      case 'failed':
        await this.record(id, { event: 'task.failed', reason: 'error', error: outcome.error ?? 'failed', durationMs });
        break;
      default: {
        const unreachable: never = outcome.status;
        throw new Error(`unexpected outcome ${String(unreachable)}`);
      }
    }
    return this.view(id);
  }

  private async finishAborted(id: string, running: Running, durationMs: number, timeoutMs: number): Promise<TaskView> {
    if (running.cancelledBy) await this.record(id, { event: 'task.cancelled', by: running.cancelledBy, durationMs });
    else await this.record(id, { event: 'task.failed', reason: 'timeout', error: `timed out after ${timeoutMs} ms`, durationMs });
    return this.view(id);
  }

  /**
   * Applies an event to the index, tells listeners, and appends it to the ledger. The returned
   * promise settles when the line is durable; intermediate events are not waited for (the ledger
   * writes in order, so a task's terminal event being durable means all of its events are).
   */
  private record(taskId: string, body: LedgerEventBody): Promise<void> {
    const event = { v: 1, ts: new Date().toISOString(), taskId, ...body } as LedgerEvent;
    this.options.index.apply(event);
    this.options.router.learnFrom(event);
    this.emit('event', event);
    const durable = this.options.append(event);
    durable.catch((error: Error) => this.emit('ledger-error', error));
    return durable;
  }

  private view(id: string): TaskView {
    const view = this.options.index.get(id);
    if (!view) throw new Error(`task ${id} vanished from the index`);
    return view;
  }
}

function noCandidateReason(ranked: RankedAgent[], waitMs: number): string {
  const names = ranked.map((candidate) => candidate.agent).join(', ') || 'none';
  return `no healthy instance of a matching agent (${names}) within ${waitMs} ms; check \`lightning status\``;
}
