import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { LEDGER_SOON_MS, MAX_TRANSPORT_LOSSES } from '../config/defaults.js';
import type { ApprovalDecider, LedgerEvent, LedgerEventBody } from '../protocol/events.js';
import type { TaskIndex, TaskView } from '../ledger/reader.js';
import type { AppendUrgency } from '../ledger/writer.js';
import type { PendingApproval, TaskBudget, WorkerOutcome } from '../protocol/task.js';
import { TERMINAL_STATUSES } from '../protocol/task.js';
import type { RouteDecision } from '../router/router.js';
import type { Clock } from '../util/clock.js';
import type { FleetView } from './fleet-view.js';
import { InstancePicker } from './instance-picker.js';
import type { SubmitRequest, Submitted, TaskEvent, TaskListener } from './service.js';
import { TaskRequestError } from './service.js';
import { TaskRun } from './task-run.js';
import { TeamRun } from './team-run.js';
import type { TeamContext, TeamStepHandle, TeamStepRequest } from './team-run.js';
import type { RunContext, RunPlan } from './task-run.js';
import type { TaskState } from './task-state.js';

/** What the task core needs of routing: a decision per task, and every ledger event to learn from. */
export interface TaskRouting {
  route(input: string, forced?: string): RouteDecision;
  learnFrom(event: LedgerEvent): void;
}

export interface TaskCoreOptions {
  fleet: FleetView;
  router: TaskRouting;
  index: TaskIndex;
  /** Durable append (resolves once the line is on disk, which is due as `urgency` says). */
  append(event: LedgerEvent, urgency: AppendUrgency): Promise<void>;
  /** Asks for every line appended so far to be written now. */
  flush(): void;
  /** Ledger keeps at most this much output inline; the rest goes to a file. */
  storeOutput(taskId: string, output: string): { output: string; outputFile: string | null };
  /** Replaces secrets (API keys, tokens) in text before it goes anywhere. */
  redact(text: string): string;
  clock: Clock;
  /** Attempts one task may lose to dying workers; MAX_TRANSPORT_LOSSES by default. */
  maxTransportLosses?: number;
  newId?: () => string;
}

/**
 * The tasks of one supervisor: takes them, plans each one's route (the router's plausible agents,
 * then the fallback), runs each as a TaskRun, and records everything in the ledger. The ledger's
 * events are the tasks' state as everyone else sees it; the index is only that ledger, derived.
 */
export class TaskCore extends EventEmitter<{ event: [TaskEvent]; 'ledger-error': [Error] }> {
  private readonly runs = new Map<string, TaskRun | TeamRun>();
  /** A running team step's team task: its events reach the team's listeners too (`run --team`). */
  private readonly parents = new Map<string, string>();
  private readonly team: TeamContext;
  /** Listeners of one task each, by task id: an event reaches its own task's listeners only. */
  private readonly watchers = new Map<string, Set<TaskListener>>();
  /** Listeners of every task's events that show progress (/v1/events): while there is one, attempts stream. */
  private followers = 0;
  /** The last event time given out (now()), as milliseconds and as text. */
  private stampMs = Number.NaN;
  private stamp = '';
  private readonly picker: InstancePicker;
  private readonly context: RunContext;
  private fallbacks: { version: number; agents: ReadonlySet<string> } | null = null;

  constructor(private readonly options: TaskCoreOptions) {
    super();
    this.setMaxListeners(0);
    this.picker = new InstancePicker(options.fleet, options.clock);
    this.context = {
      fleet: options.fleet,
      picker: this.picker,
      clock: options.clock,
      maxTransportLosses: options.maxTransportLosses ?? MAX_TRANSPORT_LOSSES,
      record: (taskId, body) => this.record(taskId, body),
      progress: (taskId, instance, progress) =>
        this.publish({ event: 'task.progress', taskId, ts: this.now(), agent: instance.agent, instance: instance.index, progress }),
      followed: (taskId) => this.followed(taskId),
      store: (taskId, outcome) => this.store(taskId, outcome),
      redact: (text) => options.redact(text),
    };
    this.team = {
      clock: options.clock,
      record: (taskId, body) => this.record(taskId, body),
      submitStep: (parentId, step) => this.submitStep(parentId, step),
      planner: () => options.fleet.planner(),
      agents: () => options.fleet.profiles().profiles.map((profile) => ({
        name: profile.name, description: profile.description, capabilities: profile.skills.map((skill) => skill.name),
      })),
    };
  }

  get inflightByInstance(): ReadonlyMap<string, number> {
    return this.picker.inflight;
  }

  /** Tasks waiting for each agent to have a healthy instance (not those queued for a busy one). */
  waitingByAgent(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const run of this.runs.values()) {
      const state = run.state;
      if (state.name === 'waiting' && state.why !== 'busy') counts.set(state.agent, (counts.get(state.agent) ?? 0) + 1);
    }
    return counts;
  }

  /** Tool calls waiting for a person now, oldest first (`status`, the dashboard). */
  awaitingApproval(): Array<PendingApproval & { taskId: string }> {
    const waiting: Array<PendingApproval & { taskId: string }> = [];
    for (const [id, run] of this.runs) {
      const approval = run.state.name === 'awaiting-approval' ? this.options.index.get(id)?.approval : null;
      if (approval) waiting.push({ taskId: id, ...approval });
    }
    return waiting.sort((a, b) => a.since.localeCompare(b.since));
  }

  /** The live state of a task this supervisor runs; null once it has ended (ask the index then). */
  stateOf(id: string): TaskState | null {
    return this.runs.get(id)?.state ?? null;
  }

  /**
   * Validates and records the task and starts it. Returns its id at once, and a promise that
   * settles when its submission is on disk (what a 202 must wait for).
   */
  async submit(request: SubmitRequest, onEvent?: TaskListener): Promise<Submitted> {
    const names = this.options.fleet.agentNames();
    if (request.agent !== undefined && !names.includes(request.agent)) {
      throw new TaskRequestError(`unknown agent "${request.agent}"; known agents: ${names.join(', ')}`);
    }
    const id = this.options.newId?.() ?? randomUUID();
    const unsubscribe = onEvent ? this.watch(id, onEvent) : () => undefined;
    // A secret pasted into a task goes no further: not to the model, the ledger or any answer.
    const input = this.options.redact(request.input);
    if (request.team === true) {
      if (request.agent !== undefined) throw new TaskRequestError('a team task is planned across agents: give either --team or --agent, not both');
      return this.startTeam(id, input, request, null, unsubscribe);
    }
    const decision = this.options.router.route(input, request.agent);
    // The router proposes a team (automatic teaming) unless the caller said no team or named an agent.
    if (request.team === undefined && decision.team?.team === true) return this.startTeam(id, input, request, decision.team.reason, unsubscribe);
    const settings = this.options.fleet.taskSettings(decision.pick || null);
    const timeoutMs = request.timeoutMs ?? settings.timeoutMs;
    const durable = this.record(id, { event: 'task.submitted', input, agent: request.agent ?? null, timeoutMs });
    const plan: RunPlan = {
      decision, ...this.failoverOrder(decision, request.agent !== undefined), timeoutMs, retries: settings.retries, queueTimeoutMs: settings.queueTimeoutMs,
      budget: budgetOf(settings.budget, request.budget),
    };
    const run = new TaskRun(id, input, plan, this.context, request.traceparent ?? null);
    this.runs.set(id, run);
    void run.done.finally(() => this.runs.delete(id));
    return { id, durable: () => this.expedite(durable), unsubscribe };
  }

  /** `durable`, asked for now: a submission's line is otherwise only due within LEDGER_SOON_MS. */
  private expedite(durable: Promise<void>): Promise<void> {
    this.options.flush();
    return durable;
  }

  /** A team task, asked for (`proposedBecause` null) or proposed by the router (why, as recorded). */
  private startTeam(id: string, input: string, request: SubmitRequest, proposedBecause: string | null, unsubscribe: () => void): Submitted {
    const settings = this.options.fleet.taskSettings(null);
    const timeoutMs = request.timeoutMs ?? settings.timeoutMs;
    const durable = this.record(id, { event: 'task.submitted', input, agent: null, timeoutMs, team: true, ...(proposedBecause === null ? {} : { teamReason: proposedBecause }) });
    const run = new TeamRun(id, input, timeoutMs, budgetOf(settings.budget, request.budget), this.team);
    this.runs.set(id, run);
    void run.done.finally(() => this.runs.delete(id));
    return { id, durable: () => this.expedite(durable), unsubscribe };
  }

  /**
   * One step of a team task, run like any task (routing, waiting, failover) in the team's workspace.
   * Its timeout is what the team has left; its events reach the team's listeners too.
   */
  private submitStep(parentId: string, step: TeamStepRequest): TeamStepHandle {
    const id = this.options.newId?.() ?? randomUUID();
    const input = this.options.redact(step.input);
    const decision = this.options.router.route(input, step.agent);
    const settings = this.options.fleet.taskSettings(decision.pick || null);
    this.parents.set(id, parentId);
    void this.record(id, {
      event: 'task.submitted', input, agent: step.agent ?? null, timeoutMs: step.timeoutMs, parentId, role: step.role,
      ...(step.subtask !== undefined ? { subtask: step.subtask } : {}),
    });
    const plan: RunPlan = {
      decision, ...this.failoverOrder(decision, step.agent !== undefined), timeoutMs: step.timeoutMs, retries: settings.retries, queueTimeoutMs: settings.queueTimeoutMs,
      // A step gets what its team has left, or, with no team budget, its own agent's.
      budget: step.budget ?? settings.budget,
      team: { workspace: parentId, mode: step.mode, brief: step.brief === null ? null : this.options.redact(step.brief) },
    };
    const run = new TaskRun(id, input, plan, this.context);
    this.runs.set(id, run);
    const done = run.done.then(() => {
      this.runs.delete(id);
      this.parents.delete(id);
      return this.options.index.get(id);
    });
    return { id, done, cancel: () => void run.cancel('api') };
  }

  /** `listener` hears the events of task `id` (from now on); returns the unsubscribe function. */
  watch(id: string, listener: TaskListener): () => void {
    let listeners = this.watchers.get(id);
    if (!listeners) this.watchers.set(id, (listeners = new Set()));
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.watchers.get(id) === listeners) this.watchers.delete(id);
    };
  }

  /**
   * `listener` hears every task's events, progress included (/v1/events, the dashboard): unlike a
   * plain `on('event')` (metrics, alerts), it makes attempts stream their progress while it listens.
   */
  followAll(listener: TaskListener): () => void {
    this.followers += 1;
    this.on('event', listener);
    let following = true;
    return () => {
      if (!following) return;
      following = false;
      this.followers -= 1;
      this.off('event', listener);
    };
  }

  /** Someone wants task `id`'s progress: its own listeners, its team's, or a listener of every task. */
  private followed(id: string): boolean {
    if (this.followers > 0 || this.watchers.has(id)) return true;
    const parent = this.parents.get(id);
    return parent !== undefined && this.watchers.has(parent);
  }

  /** Resolves with the task once it has ended (at once for a task that already has). */
  async whenDone(id: string): Promise<TaskView | undefined> {
    const run = this.runs.get(id);
    if (run) await run.done;
    return this.options.index.get(id);
  }

  cancel(id: string, by: 'user' | 'api' = 'api'): 'cancelling' | 'finished' | 'not-found' {
    const view = this.options.index.get(id);
    if (!view) return 'not-found';
    // The index turns terminal before the task's last line is durable: it is the one to ask.
    if (TERMINAL_STATUSES.has(view.status)) return 'finished';
    return this.runs.get(id)?.cancel(by) ?? 'finished';
  }

  /**
   * A person's decision on the tool call task `id` waits with (for a team task: on the one step
   * that waits). 'not-waiting' when no call waits (none asked, decided already, or it ended).
   */
  decideApproval(id: string, verdict: 'approved' | 'denied', by: Exclude<ApprovalDecider, 'timeout'>, note: string | null): 'decided' | 'not-waiting' | 'not-found' {
    const view = this.options.index.get(id);
    if (!view) return 'not-found';
    const run = this.runs.get(id);
    if (run instanceof TaskRun) return run.decide(verdict, by, note);
    const waiting = view.children
      .map((child) => this.runs.get(child))
      .filter((step): step is TaskRun => step instanceof TaskRun && step.state.name === 'awaiting-approval');
    // Two steps waiting at once: which one is meant is the person's to say, by the step's id.
    if (waiting.length === 1) return waiting[0]!.decide(verdict, by, note);
    return 'not-waiting';
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

  /** Resolves once no task runs, or after `timeoutMs`, whichever comes first. */
  async idle(timeoutMs: number): Promise<void> {
    let timer: ReturnType<Clock['setTimeout']> | null = null;
    const timeout = new Promise<void>((resolve) => (timer = this.options.clock.setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.allSettled([...this.runs.values()].map((run) => run.done)), timeout]);
    if (timer) this.options.clock.clearTimeout(timer);
  }

  /** Cancels whatever runs (graceful shutdown); their end is recorded as cancelled. */
  async cancelAll(): Promise<void> {
    const all = [...this.runs.values()];
    for (const run of all) run.cancel('api');
    await Promise.allSettled(all.map((run) => run.done));
  }

  /**
   * The agents a task may go to, in order: the router's plausible ones, then the fallback agent(s)
   * (`fallback: true`) when they are not among them. A task sent to a named agent goes only there.
   */
  private failoverOrder(decision: RouteDecision, forced: boolean): { order: string[]; fallbacks: ReadonlySet<string> } {
    const order = decision.ranked.map((candidate) => candidate.agent).filter((agent) => agent !== '');
    const fallbacks = this.fallbackAgents();
    if (!forced) for (const agent of fallbacks) if (!order.includes(agent)) order.push(agent);
    return { order, fallbacks };
  }

  /** The fallback agents of the current profiles, worked out once per profiles version. */
  private fallbackAgents(): ReadonlySet<string> {
    const { version, profiles } = this.options.fleet.profiles();
    if (this.fallbacks?.version !== version) {
      this.fallbacks = { version, agents: new Set(profiles.filter((profile) => profile.fallback).map((profile) => profile.name)) };
    }
    return this.fallbacks.agents;
  }

  private store(taskId: string, outcome: WorkerOutcome): { output: string; outputFile: string | null; error: string | null } {
    const { redact, storeOutput } = this.options;
    const stored = outcome.status === 'completed' ? storeOutput(taskId, redact(outcome.output)) : { output: redact(outcome.output), outputFile: null };
    return { ...stored, error: outcome.error === null ? null : redact(outcome.error) };
  }

  /** To everyone listening to every event, then to this task's own listeners. */
  private publish(event: TaskEvent): void {
    this.emit('event', event);
    const listeners = this.watchers.get(event.taskId);
    if (listeners) for (const listener of [...listeners]) listener(event);
    // A team step's events are its team's too: whoever follows the team sees each step.
    const parent = this.parents.get(event.taskId);
    const teamListeners = parent === undefined ? undefined : this.watchers.get(parent);
    if (teamListeners) for (const listener of [...teamListeners]) listener(event);
  }

  private now(): string {
    // A task's events mostly come in the same millisecond: its time text is made once.
    const ms = this.options.clock.now();
    if (ms !== this.stampMs) {
      this.stampMs = ms;
      this.stamp = new Date(ms).toISOString();
    }
    return this.stamp;
  }

  /**
   * Applies an event to the index, tells listeners, and appends it to the ledger. The returned
   * promise settles when the line is durable; intermediate events are not waited for (the ledger
   * writes in order, so a task's terminal event being durable means all of its events are).
   */
  private record(taskId: string, body: LedgerEventBody): Promise<void> {
    const event = { v: 1, ts: this.now(), taskId, ...body } as LedgerEvent;
    this.options.index.apply(event);
    this.options.router.learnFrom(event);
    this.publish(event);
    const durable = this.options.append(event, WAITED_ON.has(event.event) ? NOW : SOON);
    durable.catch((error: Error) => this.emit('ledger-error', error));
    return durable;
  }
}

/** Lines someone waits on before answering (a task's end, feedback, a person's decision): written at once. The rest ride with them (LEDGER_SOON_MS). */
const WAITED_ON = new Set<string>(['task.completed', 'task.failed', 'task.cancelled', 'task.interrupted', 'feedback', 'approval.decided']);
const NOW: AppendUrgency = { by: 'now' };
const SOON: AppendUrgency = { by: 'soon', withinMs: LEDGER_SOON_MS };

/** The agent's budget with each limit the request gives put in its place. */
function budgetOf(base: TaskBudget, given: Partial<TaskBudget> | undefined): TaskBudget {
  return {
    tokens: given?.tokens ?? base.tokens,
    cost: given?.cost ?? base.cost,
    timeMs: given?.timeMs ?? base.timeMs,
  };
}
