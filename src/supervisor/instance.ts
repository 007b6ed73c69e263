import type { InstanceSpec } from '../config/types.js';
import { instanceId } from '../config/types.js';
import type { Clock, TimerHandle } from './clock.js';
import type { HealthBody, ProbeFn, ProberEvent } from './health-prober.js';
import { HealthProber } from './health-prober.js';
import { probeRemote } from './remote-agent.js';
import type { InstanceState } from './instance-state.js';
import { assertNever, isSettled, pidOf, startedAtOf } from './instance-state.js';
import type { FleetMember } from './fleet-member.js';
import type { LogWriter } from './log-writer.js';
import type { ExitCause } from './restart-policy.js';
import { RestartPolicy, describeExit } from './restart-policy.js';
import type { ExitInfo, RunningProcess, SpawnRequest, Spawner } from './spawn.js';
import { SpawnError } from './spawn.js';

/** Everything an instance needs from the outside world, injected so tests can fake any of it. */
export interface InstanceDeps {
  spawner: Spawner;
  probe: ProbeFn;
  clock: Clock;
  random?: () => number;
  /** Builds argv and environment for a spawn on `port`. */
  launchFor(spec: InstanceSpec, port: number): SpawnRequest;
  /** Re-reads the config before each (re)spawn; null keeps the spec we have. */
  reloadSpec(current: InstanceSpec): Promise<InstanceSpec | null>;
  /** Picks the port for a spawn: the configured one, or a free one for port 0. Null = in use. */
  acquirePort(spec: InstanceSpec): Promise<{ port: number } | { conflict: string }>;
  log: LogWriter;
  onSpawned(id: string, process: RunningProcess, argv: string[]): void;
  onExited(id: string): void;
  onChange(instance: Instance, previous: InstanceState): void;
  /** Every probe's result (for metrics). */
  onProbe?(instance: Instance, ok: boolean, latencyMs: number): void;
}

/**
 * One agent instance and its state machine: spawn, probe, restart with backoff, stop. All its
 * timers and its one child process are owned here and released on every transition.
 */
export class Instance implements FleetMember {
  readonly id: string;
  readonly kind = 'local' as const;
  state: InstanceState;
  spec: InstanceSpec;
  port: number;
  restarts = 0;
  lastExit: string | null = null;
  health: HealthBody | null = null;
  healthLatencyMs: number | null = null;

  private process: RunningProcess | null = null;
  private readonly policy: RestartPolicy;
  private backoffTimer: TimerHandle | null = null;
  private streakResetTimer: TimerHandle | null = null;
  private killTimer: TimerHandle | null = null;
  /** Re-checks a cause outside the instance (its port held elsewhere) while it is `failed`. */
  private retryTimer: TimerHandle | null = null;
  /** When the current process first answered healthy; null until it does. */
  private healthyAt: number | null = null;
  /** Set when the supervisor itself kills the process, so the exit is reported as that cause. */
  private killCause: ExitCause | null = null;
  private stopWaiters: Array<() => void> = [];
  private activeProber: HealthProber | null = null;
  /** Set by stop() so a launch still waiting for its port does not spawn after all. */
  private stopRequested = false;
  /** Who asked for the stop in progress (a user's `lightning stop`), for the `stopped` state. */
  private stoppedBy: string | null = null;

  constructor(spec: InstanceSpec, private readonly deps: InstanceDeps) {
    this.spec = spec;
    this.port = spec.port;
    this.id = instanceId(spec.agent.name, spec.index);
    this.policy = new RestartPolicy(spec.agent.restart, deps.random);
    this.state = { name: 'stopped', since: deps.clock.now(), heldBy: null };
  }

  get pid(): number | null {
    return pidOf(this.state);
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get reason(): string | null {
    switch (this.state.name) {
      case 'failed':
        return this.state.reason;
      case 'unhealthy':
        return this.state.lastError;
      case 'stopped':
        return this.state.heldBy;
      default:
        return null;
    }
  }

  /** Stopped by a user (`lightning stop`): stays so until started again by a user. */
  get held(): boolean {
    return this.state.name === 'stopped' && this.state.heldBy !== null;
  }

  get settled(): boolean {
    return this.state.name === 'healthy' || isSettled(this.state);
  }

  get nextRestartAt(): number | null {
    if (this.state.name === 'backoff') return this.state.until;
    return this.state.name === 'failed' ? this.state.retryAt : null;
  }

  get uptimeMs(): number | null {
    const startedAt = startedAtOf(this.state);
    return startedAt === null ? null : this.deps.clock.now() - startedAt;
  }

  /** Starts the instance if it is not running. Resolves once the process is spawned (or failed). */
  async start(): Promise<void> {
    if (this.process || this.state.name === 'backoff') return;
    this.stopRequested = false;
    this.clearTimer('retryTimer');
    this.policy.reset();
    await this.launch();
  }

  /**
   * SIGTERM to the process group, SIGKILL after the grace period. Resolves when it is gone.
   * `heldBy` (a user's `lightning stop`) keeps it stopped, a failed one included, until a user
   * starts it again; without it (the fleet stopping) a failed instance stays `failed` for status.
   */
  stop(heldBy: string | null = null): Promise<void> {
    this.stopRequested = true;
    this.clearTimer('backoffTimer');
    this.clearTimer('streakResetTimer');
    this.clearTimer('retryTimer');
    const process = this.process;
    if (!process) {
      // Stopping what is stopped keeps who stopped it; a failed one stays failed unless a user stops it.
      const keep = (this.state.name === 'stopped' && heldBy === null) || (this.state.name === 'failed' && heldBy === null);
      if (!keep) this.transition({ name: 'stopped', since: this.deps.clock.now(), heldBy });
      return Promise.resolve();
    }
    this.stoppedBy = heldBy;
    const done = new Promise<void>((resolve) => this.stopWaiters.push(resolve));
    if (this.state.name !== 'stopping') {
      this.activeProber?.stop();
      this.transition({ name: 'stopping', since: this.deps.clock.now(), pid: process.pid, startedAt: startedAtOf(this.state) ?? this.deps.clock.now() });
      this.deps.log.note(`stopping pid ${process.pid} (SIGTERM to its process group)`);
      process.signalGroup('SIGTERM');
      this.killTimer = this.deps.clock.setTimeout(() => {
        this.deps.log.note(`pid ${process.pid} still running after ${this.spec.agent.stop.graceMs} ms; sending SIGKILL`);
        process.signalGroup('SIGKILL');
      }, this.spec.agent.stop.graceMs);
    }
    return done;
  }

  /**
   * A user restart (`lightning restart`): stop whatever runs, forget the crash streak (a `failed`
   * instance gets a fresh one) and start again. Resolves once the new process is spawned.
   */
  async restart(): Promise<void> {
    await this.stop();
    this.restarts += 1;
    await this.start();
  }

  /** Second Ctrl-C: SIGKILL now, and no restart: the exit that follows is a stop, not a crash. */
  forceKill(): void {
    this.stopRequested = true;
    this.clearTimer('backoffTimer');
    this.clearTimer('streakResetTimer');
    this.clearTimer('retryTimer');
    const process = this.process;
    if (!process) {
      if (!isSettled(this.state)) this.transition({ name: 'stopped', since: this.deps.clock.now(), heldBy: null });
      return;
    }
    if (this.state.name !== 'stopping') {
      this.activeProber?.stop();
      this.transition({ name: 'stopping', since: this.deps.clock.now(), pid: process.pid, startedAt: startedAtOf(this.state) ?? this.deps.clock.now() });
    }
    this.deps.log.note(`force stop: SIGKILL to pid ${process.pid}'s process group`);
    process.signalGroup('SIGKILL');
  }

  private async launch(): Promise<void> {
    this.backoffTimer = null;
    this.retryTimer = null;
    const reloaded = await this.deps.reloadSpec(this.spec);
    if (this.stopRequested) return;
    if (reloaded) this.spec = reloaded;
    const acquired = await this.deps.acquirePort(this.spec);
    if (this.stopRequested) return;
    if ('conflict' in acquired) {
      // Nothing the instance did: wait for the port rather than give up on it for good.
      const retryMs = this.spec.agent.restart.maxDelayMs;
      const reason = `${acquired.conflict}; waiting for the port to be free (checked again every ${formatMs(retryMs)})`;
      if (this.state.name !== 'failed') this.deps.log.note(reason);
      const now = this.deps.clock.now();
      this.transition({ name: 'failed', since: now, reason, retryAt: now + retryMs });
      this.retryTimer = this.deps.clock.setTimeout(() => void this.launch(), retryMs);
      this.retryTimer.unref?.();
      return;
    }
    this.port = acquired.port;
    const request = this.deps.launchFor(this.spec, this.port);
    let process: RunningProcess;
    try {
      process = this.deps.spawner(request);
    } catch (error) {
      const detail = error instanceof SpawnError ? error.message : String(error);
      this.deps.log.note(`could not start: ${detail}`);
      this.afterExit({ reason: 'spawn-error', detail });
      return;
    }
    this.process = process;
    this.healthyAt = null;
    process.stdout.on('data', this.deps.log.stream('stdout'));
    // Its first output while starting is usually "ready on …": probe at once (HealthProber.hurry).
    process.stdout.once('data', () => {
      if (this.process === process) this.activeProber?.hurry();
    });
    process.stderr.on('data', this.deps.log.stream('stderr'));
    this.deps.onSpawned(this.id, process, request.argv);
    this.deps.log.note(`started pid ${process.pid} on port ${this.port}: ${request.argv.join(' ')}`);
    const now = this.deps.clock.now();
    this.transition({ name: 'starting', since: now, pid: process.pid, startedAt: now });
    const url = `http://127.0.0.1:${this.port}${this.spec.agent.health.path}`;
    this.activeProber = new HealthProber(url, this.spec.agent.health, this.cardFallbackProbe(), (event) => this.onProbe(process, event), this.deps.clock);
    this.activeProber.start();
    void process.exited.then((info) => this.onProcessExit(process, info));
  }

  /**
   * The configured probe, except that an agent answering 404 on its health path (any A2A agent
   * built without lightning has no /health) is probed at its agent card from then on, for the
   * rest of this process's life.
   */
  private cardFallbackProbe(): ProbeFn {
    const base = `http://127.0.0.1:${this.port}`;
    let path = this.spec.agent.health.path;
    return async (_url, timeoutMs, options) => {
      const probed = await probeRemote(this.deps.probe, base, path, timeoutMs, options);
      if (probed.path !== path) {
        this.deps.log.note(`${path} answers 404; probing the agent card (${probed.path}) instead`);
        path = probed.path;
      }
      return probed.outcome;
    };
  }

  private onProbe(process: RunningProcess, event: ProberEvent): void {
    if (process !== this.process || this.state.name === 'stopping') return;
    if (event.type !== 'start-timeout') this.deps.onProbe?.(this, event.type !== 'failing' && event.type !== 'dead', 'outcome' in event ? event.outcome.latencyMs : 0);
    const now = this.deps.clock.now();
    const startedAt = startedAtOf(this.state) ?? now;
    switch (event.type) {
      case 'ready':
      case 'ok':
      case 'recovered':
        this.health = event.outcome.body;
        this.healthLatencyMs = event.outcome.latencyMs;
        if (event.type === 'ready') {
          this.healthyAt = now;
          this.armStreakReset(process);
        }
        if (event.type !== 'ok') {
          if (event.type === 'recovered') this.deps.log.note('health check passing again');
          this.transition({ name: 'healthy', since: now, pid: process.pid, startedAt });
        }
        return;
      case 'failing':
        this.deps.log.note(`health check failed (${event.failures}/${this.spec.agent.health.failureThreshold}): ${event.error}`);
        this.transition({ name: 'unhealthy', since: now, pid: process.pid, startedAt, failures: event.failures, lastError: event.error });
        return;
      case 'dead':
        this.killForCause(process, { reason: 'health-failed', detail: `${event.failures} probes in a row: ${event.error}` });
        return;
      case 'start-timeout':
        this.killForCause(process, { reason: 'start-timeout', detail: event.error });
        return;
      default:
        assertNever(event);
    }
  }

  /** Liveness: a process that fails its probes is restarted, never left running as a label. */
  private killForCause(process: RunningProcess, cause: ExitCause): void {
    this.killCause = cause;
    this.deps.log.note(`${describeExit(cause)}; killing pid ${process.pid}`);
    process.signalGroup('SIGTERM');
    this.killTimer = this.deps.clock.setTimeout(() => process.signalGroup('SIGKILL'), this.spec.agent.stop.graceMs);
  }

  private armStreakReset(process: RunningProcess): void {
    this.clearTimer('streakResetTimer');
    this.streakResetTimer = this.deps.clock.setTimeout(() => {
      if (process === this.process) this.policy.reset();
    }, this.spec.agent.restart.resetAfterMs);
    this.streakResetTimer.unref?.();
  }

  private onProcessExit(process: RunningProcess, info: ExitInfo): void {
    if (process !== this.process) return;
    this.process = null;
    this.activeProber?.stop();
    this.activeProber = null;
    this.clearTimer('killTimer');
    this.clearTimer('streakResetTimer');
    // The leader is gone; anything it left in its group goes too, so nothing holds the port.
    process.signalGroup('SIGKILL');
    this.deps.log.flush();
    this.deps.onExited(this.id);
    this.health = null;
    const cause = this.killCause ?? { reason: 'exited', ...info };
    this.killCause = null;
    this.lastExit = describeExit(cause);
    const healthyForMs = this.healthyAt === null ? null : this.deps.clock.now() - this.healthyAt;
    this.healthyAt = null;
    if (this.state.name === 'stopping') {
      this.deps.log.note(`stopped (${this.lastExit})`);
      const heldBy = this.stoppedBy;
      this.stoppedBy = null;
      this.transition({ name: 'stopped', since: this.deps.clock.now(), heldBy });
      for (const resolve of this.stopWaiters.splice(0)) resolve();
      return;
    }
    this.afterExit(cause, healthyForMs);
  }

  private afterExit(cause: ExitCause, healthyForMs: number | null = null): void {
    this.lastExit = describeExit(cause);
    const decision = this.policy.decide(cause, { healthyForMs });
    if (decision.action === 'give-up') {
      const output = this.deps.log.recentOutput().slice(-REASON_LINES).map((line) => clip(line, MAX_REASON_LINE));
      const reason = output.length > 0 ? `${decision.reason}; last output: ${output.join(' ⏎ ')}` : decision.reason;
      this.deps.log.note(`giving up: ${decision.reason}`);
      this.transition({ name: 'failed', since: this.deps.clock.now(), reason, retryAt: null });
      return;
    }
    this.restarts += 1;
    const now = this.deps.clock.now();
    this.deps.log.note(
      decision.stable
        ? `${this.lastExit} after ${formatMs(healthyForMs ?? 0)} healthy; restarting at once`
        : `${this.lastExit}${healthyForMs === null ? ' before it was healthy' : ` ${formatMs(healthyForMs)} after it was healthy`}; restart ${decision.attempt} in ${decision.delayMs} ms`,
    );
    this.transition({ name: 'backoff', since: now, until: now + decision.delayMs, attempt: decision.attempt, stable: decision.stable, lastExit: this.lastExit });
    this.backoffTimer = this.deps.clock.setTimeout(() => void this.launch(), decision.delayMs);
  }

  private transition(next: InstanceState): void {
    const previous = this.state;
    this.state = next;
    if (previous.name !== next.name || next.name === 'unhealthy' || next.name === 'backoff') {
      this.deps.onChange(this, previous);
    }
  }

  private clearTimer(name: 'backoffTimer' | 'streakResetTimer' | 'killTimer' | 'retryTimer'): void {
    const timer = this[name];
    if (timer) this.deps.clock.clearTimeout(timer);
    this[name] = null;
  }
}

/** Longest line of a child's output quoted in a `failed` reason. */
const MAX_REASON_LINE = 200;
/** Lines of output quoted in a `failed` reason. */
const REASON_LINES = 3;

function clip(line: string, max: number): string {
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function formatMs(ms: number): string {
  return ms >= 1000 && ms % 100 === 0 ? `${ms / 1000} s` : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}
