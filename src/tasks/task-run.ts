import { randomUUID } from 'node:crypto';
import type { ApprovalDecider, FailureReason, LedgerEventBody } from '../protocol/events.js';
import { costOf } from '../protocol/task.js';
import type { ApprovalVerdict, TaskBudget, TaskProgress, WorkerOutcome } from '../protocol/task.js';
import type { TaskMode } from '../protocol/team-plan.js';
import type { RouteDecision } from '../router/router.js';
import { LOST_INSTANCE_RECHECK_MS } from '../config/defaults.js';
import { AttemptError } from '../router/worker-client.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { startSpan } from '../util/tracing.js';
import type { TraceSpan } from '../util/tracing.js';
import type { FleetView, RoutableInstance } from './fleet-view.js';
import type { InstanceMark, InstancePicker } from './instance-picker.js';
import { describePassOver, describeWait, isTerminal } from './task-state.js';
import { terminalRecord } from './terminal-record.js';
import type { PassOverReason, TaskState, TerminalTaskState } from './task-state.js';

/** What a run needs of the task core around it. */
export interface RunContext {
  readonly fleet: FleetView;
  readonly picker: InstancePicker;
  readonly clock: Clock;
  /** Attempts a task may lose to dying workers before it fails (they cost no retry). */
  readonly maxTransportLosses: number;
  /** Applies the event to the index, streams it, and appends it; settles once it is durable. */
  record(taskId: string, body: LedgerEventBody): Promise<void>;
  progress(taskId: string, instance: RoutableInstance, progress: TaskProgress): void;
  /** Someone follows the task's progress (its own listeners, its team's, or /v1/events): its attempts stream. */
  followed(taskId: string): boolean;
  /** Replaces secrets (API keys, tokens) in text before it goes anywhere. */
  redact(text: string): string;
  /** The outcome's text as the ledger keeps it: redacted, a long output moved to the workspace. */
  store(taskId: string, outcome: WorkerOutcome): { output: string; outputFile: string | null; error: string | null };
}

/** Where and how long a task may run: decided once, at submission. */
export interface RunPlan {
  decision: RouteDecision;
  /** The agents to try, in order: the router's plausible ones, then the fallback agent(s). */
  order: string[];
  fallbacks: ReadonlySet<string>;
  timeoutMs: number;
  retries: number;
  queueTimeoutMs: number;
  /** What the task may spend (the worker checks it before every model call); null: no limit. */
  budget?: TaskBudget | null | undefined;
  /** A team step: the team task's id (whose workspace it shares), and what it is. */
  team?: { workspace: string; mode?: TaskMode | undefined; brief: string | null } | undefined;
}

type Stop = { kind: 'cancel'; by: 'user' | 'api' } | { kind: 'timeout' };
type AttemptResult = { kind: 'outcome'; outcome: WorkerOutcome; durationMs: number } | { kind: 'error'; error: AttemptError; durationMs: number };
function attemptStatusOf(stop: Stop | null): 'cancelled' | 'timeout' | 'failed' {
  if (stop === null) return 'failed';
  return stop.kind === 'cancel' ? 'cancelled' : 'timeout';
}

/** A tool call of the current attempt waiting for a person. */
interface PendingDecision {
  id: string;
  tool: string;
  since: number;
  timeoutMs: number;
  timer: TimerHandle;
  attempt: number;
  instance: RoutableInstance;
  send(verdict: ApprovalVerdict, note: string | null): void;
}

type Mark = { mark: 'excluded' } | { mark: 'lost'; epoch: number; at: number };
type PassedOver = { agent: string; reason: PassOverReason; message: string };

/**
 * One task's life, from submission to its one terminal event: one deadline (the task's timeout),
 * waiting for an agent with no healthy instance, attempts, failover down the plan's order, and
 * the ledger records of each step. Cancellation and the deadline stop it the same way; whichever
 * comes first decides, and a task never ends twice.
 */
export class TaskRun {
  private current: TaskState;
  private stop: Stop | null = null;
  private ending = false;
  private readonly controller = new AbortController();
  private readonly started: number;
  /** When the deadline fires; moves later by the time tool calls wait for a person. */
  private deadline: number;
  private deadlineTimer: TimerHandle | null = null;
  /** While the deadline is paused (a tool call waits for a person): what was left of it. */
  private pausedRemainingMs: number | null = null;
  /** Time tool calls waited for a person, all attempts: not counted against a time budget. */
  private approvalWaitedMs = 0;
  private pending: PendingDecision | null = null;
  private approvalPausedAt = 0;
  readonly done: Promise<void>;
  /** The task's span: routing and each attempt hang under it (a no-op when tracing is off). */
  private readonly span: TraceSpan;

  constructor(
    readonly id: string,
    private readonly input: string,
    private readonly plan: RunPlan,
    private readonly context: RunContext,
    traceparent: string | null = null,
  ) {
    this.started = context.clock.now();
    this.deadline = this.started + plan.timeoutMs;
    this.current = { name: 'queued', since: this.started };
    this.span = startSpan('task', { 'lightning.task.id': id, 'lightning.task.input_chars': input.length }, traceparent);
    this.traceRouting();
    this.done = this.execute();
  }

  get state(): TaskState {
    return this.current;
  }

  /** 'finished' once the task has ended (or is recording its end): a cancel then changes nothing. */
  cancel(by: 'user' | 'api'): 'cancelling' | 'finished' {
    if (this.ending || isTerminal(this.current)) return 'finished';
    this.halt({ kind: 'cancel', by });
    return 'cancelling';
  }

  /** Read through a method: it changes across awaits, which narrowing cannot see. */
  private stopReason(): Stop | null {
    return this.stop;
  }

  private halt(stop: Stop): void {
    this.stop ??= stop;
    this.controller.abort();
  }

  private async execute(): Promise<void> {
    const { clock } = this.context;
    this.deadlineTimer = clock.setTimeout(() => this.halt({ kind: 'timeout' }), this.plan.timeoutMs);
    try {
      await this.loop();
    } catch (error) {
      // A bug here must not leave the task open forever: whoever waits for it gets this.
      await this.end({ name: 'failed', at: clock.now(), reason: 'error', error: `internal error: ${(error as Error).message}` });
    } finally {
      if (this.deadlineTimer) clock.clearTimeout(this.deadlineTimer);
      this.deadlineTimer = null;
      if (this.pending) clock.clearTimeout(this.pending.timer);
      this.pending = null;
    }
  }

  /**
   * A person's decision on the tool call waiting for one (or the approval timeout's, which denies).
   * 'not-waiting' when no call waits: decided already, or the task moved on or ended.
   */
  decide(verdict: ApprovalVerdict, by: ApprovalDecider, note: string | null): 'decided' | 'not-waiting' {
    const pending = this.pending;
    if (!pending || this.ending || this.stop || this.current.name !== 'awaiting-approval') return 'not-waiting';
    const { clock } = this.context;
    this.pending = null;
    clock.clearTimeout(pending.timer);
    const now = clock.now();
    // The approval timeout's timer runs on the monotonic clock, `now` is the wall clock: they can
    // disagree by a millisecond, and a wait the timeout ended lasted the timeout at least.
    const waitedMs = verdict === 'timeout' ? Math.max(now - pending.since, pending.timeoutMs) : now - pending.since;
    const shownNote = note === null ? null : this.context.redact(note);
    void this.record({ event: 'approval.decided', approvalId: pending.id, tool: pending.tool, verdict, by, note: shownNote, waitedMs });
    this.current = { name: 'running', since: now, agent: pending.instance.agent, instance: pending.instance.index, attempt: pending.attempt };
    this.resumeDeadline(now);
    pending.send(verdict, shownNote);
    return 'decided';
  }

  /** The worker asks a person about a tool call: pause the task's clock and wait for the decision. */
  private awaitApproval(instance: RoutableInstance, attempt: number, request: { id: string; tool: string; args: string }, send: PendingDecision['send']): void {
    if (this.ending || this.stop) return; // the worker is being told to stop anyway
    const { clock } = this.context;
    const now = clock.now();
    // A second request while one waits would be a confused worker: the newer one is what it waits for.
    if (this.pending) clock.clearTimeout(this.pending.timer);
    const timeoutMs = this.context.fleet.taskSettings(instance.agent).approvalTimeoutMs;
    const args = this.context.redact(String(request.args));
    const tool = String(request.tool);
    this.pauseDeadline(now);
    this.current = {
      name: 'awaiting-approval', since: now, agent: instance.agent, instance: instance.index, attempt,
      approval: { id: request.id, tool, args, deadline: now + timeoutMs },
    };
    const timer = clock.setTimeout(() => void this.decide('timeout', 'timeout', `no decision within ${timeoutMs} ms (task.approvalTimeout)`), timeoutMs);
    this.pending = { id: request.id, tool, since: now, timeoutMs, timer, attempt, instance, send };
    void this.record({ event: 'approval.requested', approvalId: request.id, agent: instance.agent, instance: instance.index, tool, args, timeoutMs });
  }

  /**
   * The time a person takes to decide is not the task's: its deadline stops meanwhile, so neither
   * the task timeout nor a time budget ends a task before the person could act. The approval
   * timeout bounds the wait instead.
   */
  private pauseDeadline(now: number): void {
    if (this.pausedRemainingMs !== null) return;
    if (this.deadlineTimer) this.context.clock.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    this.pausedRemainingMs = Math.max(0, this.deadline - now);
    this.approvalPausedAt = now;
  }

  private resumeDeadline(now: number): void {
    if (this.pausedRemainingMs === null) return;
    this.approvalWaitedMs += now - this.approvalPausedAt;
    this.deadline = now + this.pausedRemainingMs;
    this.pausedRemainingMs = null;
    if (!this.stop && !this.ending) this.deadlineTimer = this.context.clock.setTimeout(() => this.halt({ kind: 'timeout' }), this.deadline - now);
  }

  private async loop(): Promise<void> {
    const { order, queueTimeoutMs } = this.plan;
    const { clock, picker } = this.context;
    const signal = this.controller.signal;
    const marks = new Map<string, Mark>();
    const markOf = (instance: RoutableInstance): InstanceMark => {
      const mark = marks.get(instance.id);
      if (!mark) return null;
      if (mark.mark === 'excluded') return 'excluded';
      return mark.epoch === instance.epoch && clock.now() - mark.at < LOST_INSTANCE_RECHECK_MS ? 'lost' : null;
    };
    const passedOver: PassedOver[] = [];
    let position = 0;
    let attempt = 0;
    let retriesLeft = this.plan.retries;
    let lossesLeft = this.context.maxTransportLosses;
    /** Since when the task waits for `order[position]` to have a healthy instance. */
    let waitingSince: number | null = null;
    /** Why the previous attempt was lost, for the next routing record. */
    let retryOf: string | null = null;
    let lastError: string | null = null;
    for (;;) {
      if (this.stop) return this.endStopped();
      const agent = order[position];
      if (agent === undefined) return this.end(this.nobodyLeft(passedOver, lastError));
      const look = picker.look(agent, markOf);
      if (look.kind === 'pass') {
        passedOver.push({ agent, reason: look.why, message: describePassOver(agent, look.why, queueTimeoutMs) });
        position += 1;
        waitingSince = null;
        continue;
      }
      if (look.kind === 'wait') {
        const now = clock.now();
        if (look.why === 'busy') {
          // Queued for a slot: load, not trouble. A queue beats sending the task to a worse agent,
          // and the task's own deadline bounds it.
          if (this.current.name !== 'waiting' || this.current.agent !== agent || this.current.why !== 'busy') {
            this.current = { name: 'waiting', since: now, agent, why: 'busy' };
          }
          await picker.nextChange(signal, { slotOf: agent, timeoutMs: null });
          continue;
        }
        if (waitingSince === null) {
          waitingSince = now;
          this.current = { name: 'waiting', since: now, agent, why: look.why };
          void this.record({ event: 'task.waiting', agent, reason: look.why, message: describeWait(look.why) });
        } else if (this.current.name === 'waiting' && this.current.why !== look.why) {
          this.current = { ...this.current, why: look.why };
        }
        // The last agent in the order is waited for until the deadline: there is nowhere else to go.
        const hasNext = position + 1 < order.length;
        const waited = now - waitingSince;
        if (hasNext && waited >= queueTimeoutMs) {
          passedOver.push({ agent, reason: 'queue-timeout', message: describePassOver(agent, 'queue-timeout', queueTimeoutMs) });
          position += 1;
          waitingSince = null;
          continue;
        }
        const untilQueueTimeout = hasNext ? queueTimeoutMs - waited : Infinity;
        // A lost instance that still looks healthy is looked at again once its recheck is due.
        const untilRecheck = look.why === 'instance-lost' ? LOST_INSTANCE_RECHECK_MS : Infinity;
        const timeoutMs = Math.min(untilQueueTimeout, untilRecheck);
        await picker.nextChange(signal, { timeoutMs: Number.isFinite(timeoutMs) ? timeoutMs : null });
        continue;
      }

      waitingSince = null;
      attempt += 1;
      const instance = look.instance;
      // Reserved synchronously with the look, so concurrent tasks cannot overbook the instance.
      picker.reserve(instance);
      let result: AttemptResult;
      try {
        this.current = { name: 'running', since: clock.now(), agent, instance: instance.index, attempt };
        const { decision } = this.plan;
        const where = `least loaded of ${look.healthy} healthy instance(s)`;
        const why =
          retryOf !== null
            ? `retry after ${retryOf}; ${where}`
            : attempt === 1 && passedOver.length === 0 && agent === decision.pick
              ? `${decision.reason}; best match, ${where}`
              : `${[...passedOver.map((pass) => pass.message), this.role(agent, position)].join('; ')}, ${where}`;
        void this.record({
          event: 'task.routed',
          attempt,
          agent,
          instance: instance.index,
          candidates: decision.candidates,
          reason: why,
          static: decision.static,
          explored: decision.explored,
          ...(attempt === 1 ? { decision: decision.decision, probability: decision.probability } : {}),
          ...(passedOver.length > 0 ? { passedOver: passedOver.map(({ agent: name, reason, message }) => ({ agent: name, reason, message })) } : {}),
        });
        const span = startSpan('attempt', { 'lightning.task.id': this.id, 'lightning.agent': agent, 'lightning.instance': instance.index, 'lightning.attempt': attempt }, this.span, 'client');
        result = await this.attempt(instance, span);
        const status = result.kind === 'outcome' ? result.outcome.status : attemptStatusOf(this.stopReason());
        span.set({ 'lightning.attempt.status': status });
        if (status !== 'completed') span.fail((result.kind === 'outcome' ? result.outcome.error : result.error.message) ?? status);
        span.end();
      } finally {
        picker.release(instance.id, instance.agent);
      }
      // Not awaited: the ledger keeps order, and the terminal event awaited later covers it.
      void this.record({
        event: 'task.attempt',
        attempt,
        agent,
        instance: instance.index,
        status: result.kind === 'outcome' ? result.outcome.status : attemptStatusOf(this.stopReason()),
        error: result.kind === 'outcome' ? result.outcome.error : result.error.message,
        durationMs: result.durationMs,
        // No outcome from the worker: says nothing of how well the agent does such tasks.
        ...(result.kind === 'error' ? { transport: true } : {}),
        // Nor does an agent that could not reach a model at all: that is the fleet's configuration.
        ...(result.kind === 'outcome' && result.outcome.failure === 'config' ? { config: true } : {}),
        ...(result.kind === 'outcome' && result.outcome.failure === 'budget' ? { budget: true } : {}),
      });
      if (result.kind === 'outcome') return this.finish(instance, result.outcome);
      if (this.stopReason()) continue;
      const error = result.error;
      lastError = `${instance.id}: ${error.message}`;
      retryOf = null;
      switch (error.reason) {
        case 'not-listening':
        case 'refused':
        case 'unreachable':
          // The worker was down, full, or died: not the task's failure, so no retry is used up.
          // Only a death while the task was on its way or running counts toward the bound, which
          // keeps a task that kills every worker it reaches from looping forever; a task that was
          // never delivered cannot have caused anything (and waits rather than spins: below).
          if (error.reason === 'unreachable') {
            lossesLeft -= 1;
            if (lossesLeft <= 0) {
              return this.end(this.failed('error', `${lastError} (${this.context.maxTransportLosses} attempts lost to workers that died while running it; giving up)`));
            }
          }
          // A down or dead worker is skipped until it is back (a new epoch); a full one for this task.
          marks.set(instance.id, error.reason === 'refused' ? { mark: 'excluded' } : { mark: 'lost', epoch: instance.epoch, at: clock.now() });
          retryOf = `${instance.id} was lost (${error.message})`;
          continue;
        case 'http':
        case 'protocol':
        case 'aborted':
          retriesLeft -= 1;
          if (retriesLeft < 0) return this.end(this.failed('error', `${lastError} (after ${attempt} attempts)`));
          marks.set(instance.id, { mark: 'excluded' });
          continue;
        default: {
          const unknown: never = error.reason;
          throw new Error(`unexpected attempt error ${String(unknown)}`);
        }
      }
    }
  }

  /** The routing decision (made before the run) as a span of its own, the candidates' values as attributes. */
  private traceRouting(): void {
    if (!this.span.recording) return;
    const { decision, order } = this.plan;
    const { candidates } = decision;
    const span = startSpan('route', {
      'lightning.task.id': this.id,
      'lightning.route.pick': decision.pick,
      'lightning.route.static': decision.static,
      'lightning.route.decision': decision.decision,
      'lightning.route.explored': decision.explored,
      'lightning.route.probability': decision.probability,
      'lightning.route.reason': decision.reason,
      'lightning.route.order': order,
      'lightning.route.candidates': candidates.map((candidate) => candidate.agent),
      'lightning.route.scores': candidates.map((candidate) => candidate.score),
      // Absent (not learned) values are NaN: attribute arrays hold one type and no nulls.
      'lightning.route.estimates': candidates.map((candidate) => candidate.estimate ?? Number.NaN),
      'lightning.route.evidence': candidates.map((candidate) => candidate.evidence ?? 0),
      'lightning.route.values': candidates.map((candidate) => candidate.value ?? Number.NaN),
    }, this.span);
    span.end();
  }

  private role(agent: string, position: number): string {
    return this.plan.fallbacks.has(agent) ? 'fallback agent' : `next plausible agent (#${position + 1})`;
  }

  private async attempt(instance: RoutableInstance, span: TraceSpan): Promise<AttemptResult> {
    const { clock } = this.context;
    const signal = this.controller.signal;
    const started = clock.now();
    const client = this.context.fleet.client(instance);
    let remoteTaskId: string | null = null;
    const onAbort = () => {
      if (remoteTaskId) void client.cancel(remoteTaskId);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    // Only this supervisor and the worker running the attempt know it: a decision must carry it.
    const approvalKey = randomUUID();
    const attempt = this.current.name === 'running' ? this.current.attempt : 0;
    const onProgress = (progress: TaskProgress): void => {
      if (progress.kind !== 'approval') return this.context.progress(this.id, instance, progress);
      const remote = remoteTaskId;
      if (remote === null) return;
      // Not awaited: a worker that does not take it ends its attempt some other way (cancel, death).
      this.awaitApproval(instance, attempt, progress, (verdict, note) => void client.decide(remote, { id: progress.id, key: approvalKey, verdict, note }));
    };
    try {
      const outcome = await client.run({
        taskId: this.id,
        // A subtask's brief (its team's task, its dependencies' results) goes before its own input.
        input: this.plan.team?.brief ? `${this.plan.team.brief}\n\n${this.input}` : this.input,
        workspace: this.plan.team?.workspace,
        budget: this.workerBudget(instance.agent),
        mode: this.plan.team?.mode,
        timeoutMs: Math.max(1, this.deadline - clock.now()),
        signal,
        // Nobody to show progress to and nothing to ask a person: one request, one answer. A
        // listener that comes later then hears the task's ledger events but not its progress.
        stream: this.context.fleet.attemptsStream(instance) || this.context.followed(this.id),
        onRemoteTask: (remote) => (remoteTaskId = remote),
        onProgress,
        traceparent: span.traceparent(),
        approval: { key: approvalKey, timeoutMs: this.context.fleet.taskSettings(instance.agent).approvalTimeoutMs },
      });
      return { kind: 'outcome', outcome, durationMs: clock.now() - started };
    } catch (error) {
      const attemptError = signal.aborted ? new AttemptError('aborted', 'aborted') : error instanceof AttemptError ? error : new AttemptError(String(error), 'protocol');
      return { kind: 'error', error: attemptError, durationMs: clock.now() - started };
    } finally {
      signal.removeEventListener('abort', onAbort);
      // The attempt ended while a call waited (the worker died, or the task was cancelled): the
      // wait is over with it, and the task's clock runs again for what comes next.
      if (this.pending?.instance === instance) {
        clock.clearTimeout(this.pending.timer);
        this.pending = null;
        this.resumeDeadline(clock.now());
      }
    }
  }

  /** The budget as the worker gets it: the time left of it, and the price of the agent's model. */
  private workerBudget(agent: string) {
    const budget = this.plan.budget;
    if (!budget || (budget.tokens === null && budget.cost === null && budget.timeMs === null)) return null;
    const timeMs = budget.timeMs === null ? null : Math.max(0, budget.timeMs - (this.context.clock.now() - this.started - this.approvalWaitedMs));
    return { ...budget, timeMs, price: this.context.fleet.priceOf(agent) };
  }

  private finish(instance: RoutableInstance, outcome: WorkerOutcome): Promise<void> {
    // A cancel (or the deadline) that came first wins over an answer that arrived after it.
    if (this.stop) return this.endStopped();
    const at = this.context.clock.now();
    switch (outcome.status) {
      case 'completed':
        return this.end({ name: 'completed', at, agent: instance.agent, instance: instance.index }, outcome, instance.agent);
      case 'cancelled':
        return this.end({ name: 'cancelled', at, by: 'api' });
      case 'timeout':
        // The worker was given what was left of the task's deadline, so its timeout is the task's:
        // said as the user set it, not as the remainder the worker counted (499 ms of a 500 ms task).
        return this.end(this.timedOut());
      case 'failed':
        return this.end(this.failed(outcome.failure ?? 'error', this.context.store(this.id, outcome).error ?? 'failed'), outcome, instance.agent);
      default: {
        const unknown: never = outcome.status;
        throw new Error(`unexpected outcome ${String(unknown)}`);
      }
    }
  }

  private endStopped(): Promise<void> {
    const stop = this.stop!;
    if (stop.kind === 'cancel') return this.end({ name: 'cancelled', at: this.context.clock.now(), by: stop.by });
    const waiting = this.current.name === 'waiting' && this.current.why !== 'busy' ? ` waiting for a healthy instance of ${this.current.agent}` : '';
    return this.end(this.timedOut(waiting));
  }

  /** The task's deadline passed: said with the timeout the task was given, whoever saw it first. */
  private timedOut(waiting = ''): TerminalTaskState {
    return this.failed('timeout', `timed out after ${this.plan.timeoutMs} ms${waiting}`);
  }

  private nobodyLeft(passedOver: PassedOver[], lastError: string | null): TerminalTaskState {
    const why = passedOver.map((pass) => pass.message).join('; ');
    if (lastError !== null) return this.failed('error', `${lastError}; ${why || 'no other agent to try'}`);
    if (this.plan.order.length === 0) return this.failed('no-agent', 'no agent in the fleet can take tasks; check agents.yaml and `lightning status`');
    return this.failed('no-agent', `no agent could take the task: ${why}; check \`lightning status\``);
  }

  private failed(reason: FailureReason, error: string): TerminalTaskState {
    return { name: 'failed', at: this.context.clock.now(), reason, error };
  }

  /** Moves to a terminal state and records it: the only way a task ends, and only once. */
  private async end(state: TerminalTaskState, outcome?: WorkerOutcome, agent?: string): Promise<void> {
    if (this.ending) return;
    this.ending = true;
    this.current = state;
    const durationMs = state.at - this.started;
    this.span.set({ 'lightning.task.status': state.name, 'lightning.agent': state.name === 'completed' ? state.agent : undefined });
    if (state.name === 'failed') this.span.fail(state.error);
    this.span.end();
    // What the worker's outcome says the task spent (and, completed, produced), priced by its agent's model.
    const spent = outcome && agent !== undefined ? { usage: outcome.usage, cost: costOf(outcome.usage, this.context.fleet.priceOf(agent)) } : null;
    const stored = state.name === 'completed' && outcome ? this.context.store(this.id, outcome) : null;
    const produced = stored && outcome && spent ? { ...spent, output: stored.output, outputFile: stored.outputFile, files: outcome.files } : undefined;
    await this.record(terminalRecord(state, durationMs, { ...(produced ? { produced } : {}), spent }));
  }

  private record(body: LedgerEventBody): Promise<void> {
    return this.context.record(this.id, body);
  }
}

