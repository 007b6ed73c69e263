import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { EVENT_LOOP_SAMPLE_MS } from '../config/defaults.js';
import type { TaskEvent } from '../tasks/service.js';
import { MEMBER_STATE_NAMES } from './fleet-member.js';
import type { ProbeResult, Supervisor } from './supervisor.js';

/** What the metrics read from the task side at scrape time. */
export interface TaskGauges {
  inflight(): number;
}

/**
 * Prometheus metrics of the supervisor (prom-client, loaded only with the task side). Names follow
 * the conventions: `lightning_` prefix, `_total` counters, `_seconds` durations, and bounded
 * labels — agent, instance, state, outcome — never a task id.
 */
export class FleetMetrics {
  readonly registry: Registry;
  private readonly probeSeconds: Histogram<'agent'>;
  private readonly probeFailures: Counter<'agent' | 'instance'>;
  private readonly tasks: Counter<'agent' | 'outcome'>;
  private readonly taskSeconds: Histogram<'agent'>;
  private readonly routing: Counter<'agent' | 'decision' | 'kind'>;
  private readonly teams: Counter<'by'>;
  private readonly tokens: Counter<'agent'>;
  private readonly cost: Counter<'agent'>;
  private readonly failovers: Counter<'agent' | 'from' | 'to'>;
  private readonly approvals: Counter<'agent' | 'verdict'>;
  readonly ledgerWriteSeconds: Histogram;
  /** Labelled children by their label values: prom-client hashes a label object on every call otherwise. */
  private readonly children = new Map<string, { inc(value?: number): void } | { observe(value: number): void }>();

  constructor(
    prom: typeof import('prom-client'),
    supervisor: Supervisor,
    taskGauges: TaskGauges,
  ) {
    this.registry = new prom.Registry();
    const registers = [this.registry];
    prom.collectDefaultMetrics({ register: this.registry, prefix: 'lightning_supervisor_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    // prom-client names these gauges `_total`, which Prometheus reserves for counters (promtool
    // flags them); the handle and request counts are not worth a misleading name.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      this.registry.removeSingleMetric(`lightning_supervisor_${name}`);
    }
    const instanceLabels = ['agent', 'instance'] as const;
    new prom.Gauge({
      name: 'lightning_agent_up',
      help: 'Whether the instance is healthy (1) or not (0).',
      labelNames: instanceLabels,
      registers,
      collect() {
        this.reset();
        for (const instance of supervisor.instances) this.set(labelsOf(instance), instance.state.name === 'healthy' ? 1 : 0);
      },
    });
    new prom.Gauge({
      name: 'lightning_agent_state',
      help: 'The instance state: 1 for the current state, 0 for the others.',
      labelNames: [...instanceLabels, 'state'],
      registers,
      collect() {
        this.reset();
        for (const instance of supervisor.instances) {
          for (const state of MEMBER_STATE_NAMES) this.set({ ...labelsOf(instance), state }, state === instance.state.name ? 1 : 0);
        }
      },
    });
    new prom.Counter({
      name: 'lightning_agent_restarts_total',
      help: 'Restarts of the instance since the supervisor started.',
      labelNames: instanceLabels,
      registers,
      collect() {
        this.reset();
        for (const instance of supervisor.instances) this.inc(labelsOf(instance), instance.restarts);
      },
    });
    new prom.Gauge({
      name: 'lightning_tasks_in_flight',
      help: 'Tasks submitted and not yet ended.',
      registers,
      collect() {
        this.set(taskGauges.inflight());
      },
    });
    this.probeSeconds = new prom.Histogram({
      name: 'lightning_health_probe_duration_seconds',
      help: 'Duration of successful health probes.',
      labelNames: ['agent'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5],
      registers,
    });
    this.probeFailures = new prom.Counter({ name: 'lightning_health_probe_failures_total', help: 'Failed health probes.', labelNames: instanceLabels, registers });
    this.tasks = new prom.Counter({ name: 'lightning_tasks_total', help: 'Tasks ended, by agent and outcome.', labelNames: ['agent', 'outcome'], registers });
    this.taskSeconds = new prom.Histogram({
      name: 'lightning_task_duration_seconds',
      help: 'Duration of completed tasks, submission to result.',
      labelNames: ['agent'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.routing = new prom.Counter({
      name: 'lightning_routing_decisions_total',
      help: 'First routing of each task: static (the capability match), learned (the policy overrode it) or forced (--agent); kind as the router recorded it in task.routed (exploit, explore, fallback, forced).',
      labelNames: ['agent', 'decision', 'kind'],
      registers,
    });
    this.teams = new prom.Counter({
      name: 'lightning_team_tasks_total',
      help: 'Team tasks started: by "request" (run --team, team: true) or by "router" (automatic teaming, routing.autoTeam).',
      labelNames: ['by'],
      registers,
    });
    this.tokens = new prom.Counter({ name: 'lightning_task_tokens_total', help: 'Tokens tasks used (prompt + completion), by agent; a team task counts in its steps.', labelNames: ['agent'], registers });
    this.cost = new prom.Counter({ name: 'lightning_task_cost_usd_total', help: 'What tasks cost in US dollars (agents.yaml prices), by agent; a team task counts in its steps.', labelNames: ['agent'], registers });
    this.failovers = new prom.Counter({
      name: 'lightning_provider_failovers_total',
      help: 'Model calls moved from one provider to the next (429, 5xx, timeout, connection error); from/to are "<model> at <endpoint>" as configured.',
      labelNames: ['agent', 'from', 'to'],
      registers,
    });
    this.approvals = new prom.Counter({
      name: 'lightning_approvals_total',
      help: 'Tool calls that asked a person, by agent and what became of them: requested, approved, denied, timeout.',
      labelNames: ['agent', 'verdict'],
      registers,
    });
    this.ledgerWriteSeconds = new prom.Histogram({
      name: 'lightning_ledger_write_duration_seconds',
      help: 'Time from appending a ledger event to its being durable (on disk).',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers,
    });
    supervisor.on('probe', (result) => this.onProbe(result));
  }

  /** Feed every task event here. */
  onTaskEvent(event: TaskEvent, agentOf: (taskId: string) => string | null, isTeam: (taskId: string) => boolean = () => false): void {
    // Spending is counted where it happened: a team task's own total would count its steps twice.
    if ((event.event === 'task.completed' || event.event === 'task.failed') && event.usage && !isTeam(event.taskId)) {
      const agent = event.event === 'task.completed' ? event.agent : (agentOf(event.taskId) ?? 'none');
      this.tokens.inc({ agent }, event.usage.totalTokens);
      if (typeof event.cost === 'number') this.cost.inc({ agent }, event.cost);
    }
    switch (event.event) {
      case 'task.submitted':
        if (event.team) this.teams.inc({ by: event.teamReason === undefined ? 'request' : 'router' });
        return;
      case 'task.progress':
        // Cut: the labels come from what a worker sends, and a label value should stay short.
        if (event.progress.kind === 'failover') this.failovers.inc({ agent: event.agent, from: String(event.progress.from).slice(0, 200), to: String(event.progress.to).slice(0, 200) });
        return;
      case 'task.routed':
        if (event.attempt === 1) {
          const decision = event.reason.startsWith('asked for') ? 'forced' : event.static && event.static !== event.agent ? 'learned' : 'static';
          // The kind the router itself recorded (the same field route --replay and the ledger show).
          const kind = event.decision ?? (decision === 'forced' ? 'forced' : 'exploit');
          this.counter(this.routing, `routing\u0000${event.agent}\u0000${decision}\u0000${kind}`, { agent: event.agent, decision, kind }).inc();
        }
        return;
      case 'task.completed':
        this.taskCount(event.agent, 'completed');
        this.histogram(this.taskSeconds, `seconds\u0000${event.agent}`, { agent: event.agent }).observe(event.durationMs / 1000);
        return;
      case 'task.failed':
        this.taskCount(agentOf(event.taskId) ?? 'none', event.reason === 'timeout' ? 'timeout' : 'failed');
        return;
      case 'task.cancelled':
        this.taskCount(agentOf(event.taskId) ?? 'none', 'cancelled');
        return;
      case 'approval.requested':
        this.approvals.inc({ agent: event.agent, verdict: 'requested' });
        return;
      case 'approval.decided':
        this.approvals.inc({ agent: agentOf(event.taskId) ?? 'none', verdict: event.verdict });
        return;
      default:
        return;
    }
  }

  private taskCount(agent: string, outcome: string): void {
    this.counter(this.tasks, `tasks\u0000${agent}\u0000${outcome}`, { agent, outcome }).inc();
  }

  private counter<L extends string>(metric: Counter<L>, key: string, labels: Record<L, string>): { inc(value?: number): void } {
    let child = this.children.get(key) as { inc(value?: number): void } | undefined;
    if (!child) this.children.set(key, (child = metric.labels(labels)));
    return child;
  }

  private histogram<L extends string>(metric: Histogram<L>, key: string, labels: Record<L, string>): { observe(value: number): void } {
    let child = this.children.get(key) as { observe(value: number): void } | undefined;
    if (!child) this.children.set(key, (child = metric.labels(labels)));
    return child;
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private onProbe({ instance, ok, latencyMs }: ProbeResult): void {
    if (ok) this.probeSeconds.observe({ agent: instance.spec.agent.name }, latencyMs / 1000);
    else this.probeFailures.inc(labelsOf(instance));
  }
}

function labelsOf(instance: { spec: { agent: { name: string }; index: number } }): { agent: string; instance: string } {
  return { agent: instance.spec.agent.name, instance: String(instance.spec.index) };
}
