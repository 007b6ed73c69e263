import { EventEmitter } from 'node:events';
import type { AlertSettings } from '../config/types.js';
import type { Alert, AlertRule } from '../protocol/events.js';
import type { TaskEvent } from '../tasks/service.js';
import type { Clock, TimerHandle } from './clock.js';
import type { StateChange, Supervisor } from './supervisor.js';

/** How often the rules are evaluated. */
const EVALUATE_EVERY_MS = 1000;

interface Outcome {
  at: number;
  ok: boolean;
  durationMs: number | null;
}

/**
 * Alert rules over the fleet and its tasks. Each (rule, agent) fires once when its condition
 * starts to hold and resolves once when it stops — never an alert storm. Listeners get both.
 */
export class AlertMonitor extends EventEmitter<{ alert: [Alert] }> {
  private readonly firing = new Map<string, Alert>();
  private readonly unhealthySince = new Map<string, number>();
  private readonly restarts = new Map<string, number[]>();
  private readonly outcomes = new Map<string, Outcome[]>();
  private timer: TimerHandle | null = null;

  constructor(
    private readonly settings: AlertSettings,
    private readonly supervisor: Supervisor,
    private readonly clock: Clock,
  ) {
    super();
    supervisor.on('change', (change) => this.onChange(change));
  }

  start(): void {
    const loop = () => {
      this.evaluate();
      this.timer = this.clock.setTimeout(loop, EVALUATE_EVERY_MS);
      this.timer.unref?.();
    };
    loop();
  }

  stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  active(): Alert[] {
    return [...this.firing.values()];
  }

  /** Feed every task event: finished tasks drive the failure-rate and latency rules. */
  onTaskEvent(event: TaskEvent, agentOf: (taskId: string) => string | null): void {
    const at = this.clock.now();
    if (event.event === 'task.completed') this.record(event.agent, { at, ok: true, durationMs: event.durationMs });
    else if (event.event === 'task.failed' && event.reason !== 'no-agent') {
      const agent = agentOf(event.taskId);
      if (agent) this.record(agent, { at, ok: false, durationMs: null });
    }
  }

  evaluate(): void {
    const now = this.clock.now();
    const agents = this.supervisor.config.agents.map((agent) => agent.name);
    const { unhealthyForMs, restarts, failureRate, latencyP95 } = this.settings;
    for (const agent of agents) {
      const healthy = this.supervisor.instances.some((instance) => instance.spec.agent.name === agent && instance.state.name === 'healthy');
      if (healthy) this.unhealthySince.delete(agent);
      else if (!this.unhealthySince.has(agent)) this.unhealthySince.set(agent, now);
      const down = healthy ? 0 : now - (this.unhealthySince.get(agent) ?? now);
      this.set('agent-unhealthy', agent, down >= unhealthyForMs, down, unhealthyForMs, `${agent} has had no healthy instance for ${Math.round(down / 1000)} s`);

      const recent = this.prune(this.restarts, agent, now - restarts.windowMs).length;
      this.set('restart-rate', agent, recent > restarts.count, recent, restarts.count, `${agent} restarted ${recent} times in ${Math.round(restarts.windowMs / 1000)} s`);

      const finished = this.prune(this.outcomes, agent, now - Math.max(failureRate.windowMs, latencyP95.windowMs));
      // One pass over the window (it holds every task of the last 15 minutes: a million at load),
      // with no array built; the p95 itself is sorted out only when an alert needs its value.
      const rateFrom = now - failureRate.windowMs;
      const latencyFrom = now - latencyP95.windowMs;
      let forRate = 0;
      let failures = 0;
      let timed = 0;
      let overBar = 0;
      for (const outcome of finished) {
        if (outcome.at >= rateFrom) {
          forRate += 1;
          if (!outcome.ok) failures += 1;
        }
        if (outcome.at >= latencyFrom && outcome.durationMs !== null) {
          timed += 1;
          if (outcome.durationMs > latencyP95.maxMs) overBar += 1;
        }
      }
      const rate = forRate === 0 ? 0 : failures / forRate;
      const rateBad = forRate >= failureRate.minTasks && rate > failureRate.max;
      this.set('failure-rate', agent, rateBad, rate, failureRate.max, `${agent} failed ${Math.round(rate * 100)} % of ${forRate} tasks (bar: ${Math.round(failureRate.max * 100)} %)`);

      // The p95 (sorted[min(n − 1, ⌊0.95 n⌋)]) is over the bar exactly when no more than that
      // index of the durations are within it.
      const p95Index = Math.min(timed - 1, Math.floor(0.95 * timed));
      const slow = timed >= latencyP95.minTasks && timed - overBar <= p95Index;
      const p95 = slow || this.firing.has(alertKey('latency-p95', agent)) ? percentile95(finished, latencyFrom) : 0;
      this.set('latency-p95', agent, slow, p95, latencyP95.maxMs, `${agent} task latency p95 is ${(p95 / 1000).toFixed(1)} s (bar: ${latencyP95.maxMs / 1000} s)`);
    }
  }

  private onChange({ instance }: StateChange): void {
    if (instance.state.name !== 'backoff') return;
    const agent = instance.spec.agent.name;
    const list = this.restarts.get(agent) ?? [];
    list.push(this.clock.now());
    this.restarts.set(agent, list);
  }

  private record(agent: string, outcome: Outcome): void {
    const list = this.outcomes.get(agent) ?? [];
    list.push(outcome);
    this.outcomes.set(agent, list);
  }

  /** Drops entries older than `from` (lists are in time order) and returns what is left. */
  private prune<T extends number | { at: number }>(map: Map<string, T[]>, agent: string, from: number): T[] {
    const list = map.get(agent) ?? [];
    const at = (entry: T) => (typeof entry === 'number' ? entry : entry.at);
    let drop = 0;
    while (drop < list.length && at(list[drop]!) < from) drop += 1;
    if (drop > 0) list.splice(0, drop);
    return list;
  }

  private set(rule: AlertRule, agent: string, bad: boolean, value: number, threshold: number, message: string): void {
    const key = alertKey(rule, agent);
    const current = this.firing.get(key);
    const at = new Date(this.clock.now()).toISOString();
    if (bad && !current) {
      const alert: Alert = { rule, agent, state: 'firing', message, value, threshold, since: at, at };
      this.firing.set(key, alert);
      this.emit('alert', alert);
    } else if (!bad && current) {
      this.firing.delete(key);
      this.emit('alert', { ...current, state: 'resolved', value, message: `resolved: ${message}`, at });
    } else if (bad && current) {
      current.value = value;
      current.message = message;
    }
  }
}

function alertKey(rule: AlertRule, agent: string): string {
  return `${rule}\u0000${agent}`;
}

/** The p95 of the durations of the outcomes since `from` (0 with none). */
function percentile95(outcomes: readonly Outcome[], from: number): number {
  const durations = outcomes
    .filter((outcome) => outcome.at >= from && outcome.durationMs !== null)
    .map((outcome) => outcome.durationMs!)
    .sort((a, b) => a - b);
  return durations.length === 0 ? 0 : durations[Math.min(durations.length - 1, Math.floor(0.95 * durations.length))]!;
}
