import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LightningConfig } from '../config/types.js';
import type { StatusDocument } from '../protocol/status.js';
import type { SystemEventBody } from '../protocol/events.js';
import { readEvents, TaskIndex, toTaskResult } from '../ledger/reader.js';
import { computeSpend, computeStats } from '../ledger/stats.js';
import { LedgerWriter } from '../ledger/writer.js';
import { REPLAY_TASKS, replayWindow, TaskRouter } from '../router/router.js';
import { describeRecord } from '../router/policy.js';
import type { TaskListener, TaskService } from '../tasks/service.js';
import { TaskRequestError } from '../tasks/service.js';
import { TaskCore } from '../tasks/task-core.js';
import type { StatePaths } from '../state/home.js';
import { AlertNotifier } from './alert-notifier.js';
import { FleetMetrics } from './metrics.js';
import { AlertMonitor } from './alerts.js';
import type { Alert, FleetEvent } from '../protocol/events.js';
import { realClock } from './clock.js';
import type { Secrets } from '../util/secrets.js';
import { SupervisorFleetView } from './fleet-view.js';
import type { FleetTokens } from './fleet-view.js';
import type { StateChange, Supervisor } from './supervisor.js';

/** Output kept inline in the ledger; the whole text of a longer one goes to the task's workspace. */
export const MAX_INLINE_OUTPUT = 256 * 1024;

/**
 * Tasks in the supervisor, wired to its fleet: the ledger (replayed into an index at start; tasks
 * a crashed supervisor left running were marked interrupted before, by tasks/interrupted.ts), the
 * task core, alerts and metrics, and the TaskService the control API serves.
 */
export class SupervisorTasks {
  readonly index: TaskIndex;
  readonly core: TaskCore;
  readonly fleet: SupervisorFleetView;
  readonly router: TaskRouter;
  private readonly writer: LedgerWriter;
  private accepting = true;
  metrics: FleetMetrics | null = null;
  private alerts: AlertMonitor | null = null;
  private readonly alertListeners = new Set<(alert: Alert) => void>();
  private readonly systemListeners = new Set<(event: FleetEvent) => void>();
  /** Built once: the control API asks for it on every request. */
  private readonly taskService: TaskService = this.buildService();

  private constructor(
    private readonly supervisor: Supervisor,
    paths: StatePaths,
    config: LightningConfig,
    tokens: FleetTokens,
    secrets: Secrets,
  ) {
    const history = readEvents(paths.ledger);
    this.index = new TaskIndex(history);
    this.writer = LedgerWriter.open(paths.ledger, { secrets });
    this.fleet = new SupervisorFleetView(supervisor, tokens);
    // Teaming follows agents.yaml as reloaded (the supervisor's config is the current one).
    this.router = new TaskRouter(() => this.fleet.profiles(), config.routing.learn, {
      enabled: () => supervisor.config.routing.autoTeam,
      planner: () => this.fleet.planner(),
    });
    // Learning survives restarts: the policy is the ledger's (recent) outcomes, replayed.
    for (const event of replayWindow(history, REPLAY_TASKS)) this.router.learnFrom(event);
    this.core = new TaskCore({
      fleet: this.fleet,
      router: this.router,
      index: this.index,
      append: (event, urgency) => {
        const started = performance.now();
        const durable = this.writer.append(event, urgency);
        durable.then(() => this.metrics?.ledgerWriteSeconds.observe((performance.now() - started) / 1000), () => undefined);
        return durable;
      },
      flush: () => this.writer.flush(),
      clock: realClock,
      storeOutput: (taskId, output) => storeOutput(paths, taskId, output),
      // The same service as the ledger's: an output file in the workspace holds no key either.
      redact: (text) => secrets.redact(text),
    });
    this.core.on('ledger-error', (error) => console.error(`${new Date().toISOString()} ledger write failed: ${error.message}`));
  }

  /** `secrets`: the supervisor's one Secrets service (keys from the environment and `.env`, tokens). */
  static async open(supervisor: Supervisor, paths: StatePaths, config: LightningConfig, tokens: FleetTokens, secrets: Secrets): Promise<SupervisorTasks> {
    const tasks = new SupervisorTasks(supervisor, paths, config, tokens, secrets);
    // prom-client is CommonJS: its exports object is the default export, under Node's ESM loader
    // and in the esbuild bundle alike (which gives a split-off CommonJS module no named exports).
    const { default: prom } = await import('prom-client');
    const metrics = new FleetMetrics(prom, supervisor, { inflight: () => tasks.index.unfinished().length });
    tasks.core.on('event', (event) => metrics.onTaskEvent(event, (id) => tasks.index.get(id)?.agent ?? null, (id) => tasks.index.get(id)?.team === true));
    tasks.metrics = metrics;
    tasks.startAlerts(config);
    return tasks;
  }

  service(): TaskService {
    return this.taskService;
  }

  private buildService(): TaskService {
    return {
      submit: (request, onEvent) => this.core.submit(request, onEvent),
      result: (id) => {
        const view = this.index.get(id);
        return view ? toTaskResult(view, (child) => this.index.get(child)) : null;
      },
      list: ({ limit, status }) => this.index.list({ limit, ...(status ? { status } : {}) }).map((view) => toTaskResult(view)),
      whenDone: async (id) => {
        const view = await this.core.whenDone(id);
        return view ? toTaskResult(view, (child) => this.index.get(child)) : null;
      },
      cancel: (id) => this.core.cancel(id, 'api'),
      decideApproval: (id, verdict, by, note) => this.core.decideApproval(id, verdict, by, note),
      feedback: (id, rating, note) => this.core.feedback(id, rating, note),
      // The index holds every task of the ledger already: no re-reading of the file.
      // The learned numbers with their one wording, as `route`, `task` and `stats` print them: the
      // dashboard shows this text rather than a formula of its own.
      spend: (since) => computeSpend(this.index.list(), since),
      stats: (since) =>
        computeStats(this.index.list(), (input) => this.router.kindOf(input), since, (input, agent) => {
          const record = this.router.recordOf(input, agent);
          return record && { ...record, text: describeRecord(record.estimate, record.evidence) };
        }),
      route: (input, agent) => {
        if (agent !== undefined && !this.fleet.agentNames().includes(agent)) {
          throw new TaskRequestError(`unknown agent "${agent}"; known agents: ${this.fleet.agentNames().join(', ')}`);
        }
        return this.router.route(input, agent);
      },
      subscribe: this.subscriber(),
      accepting: () => this.accepting,
    };
  }

  /**
   * TaskService.subscribe, overloads and all: with a task id, that task's events (TaskEvent) from
   * the task core's per-task watchers; without, every event of the fleet.
   */
  private subscriber(): TaskService['subscribe'] {
    // Read at each call: the service is built before the constructor has set the task core.
    const tasks = this;
    function subscribe(listener: TaskListener, filter: { taskId: string }): () => void;
    function subscribe(listener: (event: FleetEvent) => void, filter?: { taskId?: string | undefined }): () => void;
    function subscribe(listener: TaskListener | ((event: FleetEvent) => void), filter: { taskId?: string | undefined } = {}): () => void {
      // With a task id (the first overload): that task's events, from the task core's watchers.
      const { core, supervisor, alertListeners, systemListeners } = tasks;
      if (!hearsEverything(listener, filter)) return core.watch(filter.taskId ?? '', listener);
      const onChange = ({ instance }: StateChange) =>
        listener({ event: 'agent.state', ts: new Date().toISOString(), agent: instance.spec.agent.name, instance: instance.spec.index, state: instance.state.name, pid: instance.pid, restarts: instance.restarts, lastExit: instance.lastExit });
      const onAlert = (alert: Alert) => listener({ ...alert, event: alert.state === 'firing' ? 'alert.fired' : 'alert.resolved' });
      const unfollow = core.followAll(listener);
      supervisor.on('change', onChange);
      alertListeners.add(onAlert);
      systemListeners.add(listener);
      return () => {
        systemListeners.delete(listener);
        unfollow();
        supervisor.off('change', onChange);
        alertListeners.delete(onAlert);
      };
    }
    return subscribe;
  }

  private startAlerts(config: LightningConfig): void {
    const log = (message: string) => console.error(`${new Date().toISOString()} ${message}`);
    const notifier = new AlertNotifier(config.alerts, log);
    this.alerts = new AlertMonitor(config.alerts, this.supervisor, realClock);
    this.core.on('event', (event) => this.alerts?.onTaskEvent(event, (id) => this.index.get(id)?.agent ?? null));
    this.alerts.on('alert', (alert) => {
      log(`alert ${alert.state}: ${alert.message}`);
      const { state, rule, agent, message, value, threshold } = alert;
      void this.writer.append({ taskId: '', event: 'alert', state, rule, agent, message, value, threshold }).catch(() => undefined);
      for (const listener of this.alertListeners) listener(alert);
      void notifier.notify(alert);
    });
    this.alerts.start();
  }

  /** A supervisor-level event (not about one task) for the ledger and /v1/events. */
  recordSystem(body: SystemEventBody): void {
    void this.writer.append({ taskId: '', ...body }).catch(() => undefined);
    const event: FleetEvent = body.event === 'config' ? { ...body, event: `config.${body.state}` as const } : { ...body, event: `agent.${body.action}` as const };
    for (const listener of this.systemListeners) listener(event);
  }

  /** The status document with each instance's task counts and in-flight tasks filled in. */
  decorate(document: StatusDocument): StatusDocument {
    const counts = this.index.counts();
    const inflight = this.core.inflightByInstance;
    const waiting = this.core.waitingByAgent();
    for (const agent of document.agents) {
      agent.tasks = counts.get(agent.name) ?? { completed: 0, failed: 0 };
      agent.waiting = waiting.get(agent.name) ?? 0;
      agent.inflight = inflight.get(`${agent.name}#${agent.instance}`) ?? agent.inflight;
    }
    document.alerts = this.alerts?.active() ?? [];
    document.approvals = this.core.awaitingApproval();
    return document;
  }

  /** Stop taking tasks, give running ones up to `graceMs` to finish, cancel the rest. */
  async drain(graceMs: number): Promise<void> {
    this.accepting = false;
    await this.core.idle(graceMs);
    await this.core.cancelAll();
  }

  async close(): Promise<void> {
    this.alerts?.stop();
    await this.fleet.close();
    await this.writer.close();
  }
}

function storeOutput(paths: StatePaths, taskId: string, output: string): { output: string; outputFile: string | null } {
  if (Buffer.byteLength(output) <= MAX_INLINE_OUTPUT) return { output, outputFile: null };
  const dir = path.join(paths.workspacesDir, taskId);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'output.txt');
  writeFileSync(file, output);
  const head = Buffer.from(output).subarray(0, MAX_INLINE_OUTPUT).toString('utf8');
  return { output: `${head}\n… [output truncated in the ledger; the whole text is in ${file}]`, outputFile: file };
}

/** The overloads of TaskService.subscribe say it: a listener subscribed without a task id takes every event. */
function hearsEverything(
  listener: TaskListener | ((event: FleetEvent) => void),
  filter: { taskId?: string | undefined },
): listener is (event: FleetEvent) => void {
  return filter.taskId === undefined;
}
