import type { Registry } from 'prom-client';
import { EVENT_LOOP_SAMPLE_MS } from '../config/defaults.js';
import type { TaskEvent } from '../tasks/service.js';
import { MEMBER_STATE_NAMES } from './fleet-member.js';
import type { ProbeResult, Supervisor } from './supervisor.js';

/** What the metrics read from the task side at scrape time. */
export interface TaskGauges {
  inflight(): number;
}

type Labels = Record<string, string>;

/** A counter's values by label set, counted without prom-client (see FleetMetrics). */
class CounterTally {
  readonly entries = new Map<string, { labels: Labels; value: number }>();

  inc(labels: Labels): void {
    const key = JSON.stringify(labels);
    const entry = this.entries.get(key);
    if (entry) entry.value += 1;
    else this.entries.set(key, { labels, value: 1 });
  }
}

/** A histogram's bucket counts, sum and count by label set, kept without prom-client. */
class HistogramTally {
  readonly entries = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();

  constructor(readonly upperBounds: readonly number[]) {}

  observe(labels: Labels, value: number): void {
    const key = JSON.stringify(labels);
    let entry = this.entries.get(key);
    if (!entry) this.entries.set(key, (entry = { labels, counts: this.upperBounds.map(() => 0), sum: 0, count: 0 }));
    // As prom-client does: the value counts in the first bucket it fits (cumulated on export).
    const bucket = this.upperBounds.findIndex((bound) => value <= bound);
    if (bucket !== -1) entry.counts[bucket]! += 1;
    entry.sum += value;
    entry.count += 1;
  }
}

/** How a FleetMetrics histogram is exported. */
interface HistogramSpec {
  name: string;
  help: string;
  tally: HistogramTally;
}

/**
 * Prometheus metrics of the supervisor. Names follow the conventions: `lightning_` prefix,
 * `_total` counters, `_seconds` durations, and bounded labels — agent, instance, state, outcome —
 * never a task id. What happens is counted here from the start, in plain maps; prom-client (about
 * 10 MiB of the idle supervisor's memory, and its default collectors' timers) loads at the first
 * scrape of /metrics and exports those counts. Its process and Node.js metrics (`lightning_supervisor_*`)
 * start then too: CPU time and memory are the process's own totals either way; the event-loop lag
 * and GC histograms cover the time since the first scrape.
 */
export class FleetMetrics {
  private readonly probeSeconds = new HistogramTally([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5]);
  private readonly probeFailures = new CounterTally();
  private readonly tasks = new CounterTally();
  private readonly taskSeconds = new HistogramTally([0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]);
  private readonly routing = new CounterTally();
  private readonly ledgerWrites = new HistogramTally([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25]);
  private registry: Promise<Registry> | null = null;

  constructor(
    private readonly supervisor: Supervisor,
    private readonly taskGauges: TaskGauges,
  ) {
    supervisor.on('probe', (result) => this.onProbe(result));
  }

  /** A ledger append became durable after `seconds`. */
  observeLedgerWrite(seconds: number): void {
    this.ledgerWrites.observe({}, seconds);
  }

  /** Feed every task event here. */
  onTaskEvent(event: TaskEvent, agentOf: (taskId: string) => string | null): void {
    switch (event.event) {
      case 'task.routed':
        if (event.attempt === 1) {
          const decision = event.reason.startsWith('asked for') ? 'forced' : event.static && event.static !== event.agent ? 'learned' : 'static';
          this.routing.inc({ agent: event.agent, decision });
        }
        return;
      case 'task.completed':
        this.tasks.inc({ agent: event.agent, outcome: 'completed' });
        this.taskSeconds.observe({ agent: event.agent }, event.durationMs / 1000);
        return;
      case 'task.failed':
        this.tasks.inc({ agent: agentOf(event.taskId) ?? 'none', outcome: event.reason === 'timeout' ? 'timeout' : 'failed' });
        return;
      case 'task.cancelled':
        this.tasks.inc({ agent: agentOf(event.taskId) ?? 'none', outcome: 'cancelled' });
        return;
      default:
        return;
    }
  }

  async render(): Promise<{ contentType: string; body: string }> {
    this.registry ??= import('prom-client').then(({ default: prom }) => this.buildRegistry(prom));
    const registry = await this.registry;
    return { contentType: registry.contentType, body: await registry.metrics() };
  }

  private onProbe({ instance, ok, latencyMs }: ProbeResult): void {
    if (ok) this.probeSeconds.observe({ agent: instance.spec.agent.name }, latencyMs / 1000);
    else this.probeFailures.inc(labelsOf(instance));
  }

  /** prom-client is CommonJS: its exports object is the default export, under Node's ESM loader and in the bundle alike. */
  private buildRegistry(prom: typeof import('prom-client')): Registry {
    const { supervisor, taskGauges } = this;
    const registry = new prom.Registry();
    const registers = [registry];
    prom.collectDefaultMetrics({ register: registry, prefix: 'lightning_supervisor_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    // prom-client names these gauges `_total`, which Prometheus reserves for counters (promtool
    // flags them); the handle and request counts are not worth a misleading name.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      registry.removeSingleMetric(`lightning_supervisor_${name}`);
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
    registry.registerMetric(histogramOf({ name: 'lightning_health_probe_duration_seconds', help: 'Duration of successful health probes.', tally: this.probeSeconds }) as never);
    counterOf(prom, registers, 'lightning_health_probe_failures_total', 'Failed health probes.', instanceLabels, this.probeFailures);
    counterOf(prom, registers, 'lightning_tasks_total', 'Tasks ended, by agent and outcome.', ['agent', 'outcome'], this.tasks);
    registry.registerMetric(histogramOf({ name: 'lightning_task_duration_seconds', help: 'Duration of completed tasks, submission to result.', tally: this.taskSeconds }) as never);
    counterOf(
      prom,
      registers,
      'lightning_routing_decisions_total',
      'First routing of each task: static (the capability match), learned (the policy overrode it) or forced (--agent).',
      ['agent', 'decision'],
      this.routing,
    );
    registry.registerMetric(histogramOf({ name: 'lightning_ledger_write_duration_seconds', help: 'Time from appending a ledger event to its being durable (on disk).', tally: this.ledgerWrites }) as never);
    return registry;
  }
}

/** A prom-client Counter that exports a tally's counts at each scrape. */
function counterOf(prom: typeof import('prom-client'), registers: Registry[], name: string, help: string, labelNames: readonly string[], tally: CounterTally): void {
  new prom.Counter({
    name,
    help,
    labelNames,
    registers,
    collect() {
      this.reset();
      for (const { labels, value } of tally.entries.values()) this.inc(labels, value);
    },
  });
}

/**
 * A histogram for the registry (its custom-metric interface: name, help, type, and the values of
 * each label set), exported as prom-client's Histogram exports its own: cumulative `_bucket`
 * lines by `le`, then `+Inf`, `_sum` and `_count`.
 */
function histogramOf({ name, help, tally }: HistogramSpec) {
  const values = () =>
    [...tally.entries.values()].flatMap(({ labels, counts, sum, count }) => {
      let cumulative = 0;
      const buckets = tally.upperBounds.map((bound, i) => ({ labels: { le: bound as number | string }, sharedLabels: labels, value: (cumulative += counts[i]!), metricName: `${name}_bucket` }));
      return [
        ...buckets,
        { labels: { le: '+Inf' as number | string }, sharedLabels: labels, value: count, metricName: `${name}_bucket` },
        { labels: {}, sharedLabels: labels, value: sum, metricName: `${name}_sum` },
        { labels: {}, sharedLabels: labels, value: count, metricName: `${name}_count` },
      ];
    });
  return {
    name,
    help,
    type: 'histogram',
    aggregator: 'sum',
    getForPromString: async () => ({ name, help, type: 'histogram', aggregator: 'sum', values: values() }),
    get: async () => ({ name, help, type: 'histogram', aggregator: 'sum', values: values().map(({ labels, sharedLabels, ...rest }) => ({ ...rest, labels: { ...sharedLabels, ...labels } })) }),
    reset: () => undefined,
  };
}

function labelsOf(instance: { spec: { agent: { name: string }; index: number } }): { agent: string; instance: string } {
  return { agent: instance.spec.agent.name, instance: String(instance.spec.index) };
}
