import type { HealthSettings } from '../config/types.js';
import type { ProviderCooling } from '../protocol/status.js';
import type { Clock, TimerHandle } from './clock.js';

export type ProbeOutcome =
  | { ok: true; latencyMs: number; body: HealthBody | null }
  | { ok: false; latencyMs: number; error: string; /** The HTTP status, when there was an answer. */ status?: number };

/** What a worker's `GET /health` answers (fields optional: custom agents may send less). */
export interface HealthBody {
  status?: string;
  inflight?: number;
  capacity?: number;
  uptimeMs?: number;
  /** Model providers the worker has put aside after failures (the built-in worker, when any). */
  cooling?: ProviderCooling[];
}

/**
 * `knock`: the caller expects nothing to listen yet (an instance still starting, with no sign of
 * life): the probe may first try a bare TCP connect and report a refused one without an HTTP
 * request. A refused connect costs ~0.1 ms of CPU here, a refused HTTP request ~0.75 ms, and six
 * booting workers are probed ~200 times while they compete with the supervisor for two cores.
 */
export type ProbeFn = (url: string, timeoutMs: number, options?: { knock?: boolean }) => Promise<ProbeOutcome>;

export type ProberEvent =
  | { type: 'ready'; outcome: ProbeOutcome & { ok: true } }
  | { type: 'ok'; outcome: ProbeOutcome & { ok: true } }
  | { type: 'failing'; failures: number; error: string }
  | { type: 'recovered'; outcome: ProbeOutcome & { ok: true } }
  | { type: 'dead'; failures: number; error: string }
  | { type: 'start-timeout'; error: string };

/**
 * While an instance starts it is probed often, so it is routed to as soon as it answers; 1 ms
 * polling would starve a 2-core machine, 15 ms costs little and adds at most 15 ms to a start.
 */
export const STARTUP_PROBE_INTERVAL_MS = 15;

/**
 * Probes one instance: fast until its first success (or `startTimeout`), then every `interval`.
 * Reports transitions; the instance's state machine decides what they mean. After `dead` or
 * `start-timeout` it stops by itself.
 */
export class HealthProber {
  private timer: TimerHandle | null = null;
  private running = false;
  private ready = false;
  private hurried = false;
  private failures = 0;
  private startedAt = 0;
  /** Bumped on stop so a probe already in flight cannot report into a later life. */
  private generation = 0;

  constructor(
    private readonly url: string,
    private readonly settings: HealthSettings,
    private readonly probe: ProbeFn,
    private readonly onEvent: (event: ProberEvent) => void,
    private readonly clock: Clock,
  ) {}

  start(): void {
    this.stop();
    this.running = true;
    this.ready = false;
    this.hurried = false;
    this.failures = 0;
    this.startedAt = this.clock.now();
    this.schedule(0);
  }

  /**
   * The instance gave a sign of life while starting (the built-in worker prints its "ready on"
   * line right after it listens): probe now rather than at the next 15 ms tick. Once per start, so
   * a chatty process does not raise the probe rate; a probe already in flight is left to finish.
   */
  hurry(): void {
    if (!this.running || this.ready || this.hurried || this.timer === null) return;
    this.hurried = true;
    this.clock.clearTimeout(this.timer);
    this.schedule(0);
  }

  stop(): void {
    this.running = false;
    this.generation += 1;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(delayMs: number): void {
    const generation = this.generation;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      void this.tick(generation);
    }, delayMs);
    this.timer.unref?.();
  }

  /**
   * The next steady probe, on the next multiple of `interval` on the clock (at least half an
   * interval away): every prober with the same interval fires in the same timer tick, so an idle
   * supervisor wakes once per interval for all its instances instead of once for each.
   */
  private scheduleSteady(): void {
    const interval = this.settings.intervalMs;
    const now = this.clock.now();
    let due = Math.ceil(now / interval) * interval;
    if (due - now < interval / 2) due += interval;
    this.schedule(due - now);
  }

  private async tick(generation: number): Promise<void> {
    // Until the instance has answered or said it is ready (hurry), it most likely is not listening.
    const knock = !this.ready && !this.hurried;
    const outcome = await this.probe(this.url, this.settings.timeoutMs, knock ? { knock } : undefined);
    if (!this.running || generation !== this.generation) return;
    if (this.ready) this.afterReady(outcome);
    else this.beforeReady(outcome);
  }

  private beforeReady(outcome: ProbeOutcome): void {
    if (outcome.ok) {
      this.ready = true;
      this.onEvent({ type: 'ready', outcome });
      if (this.running) this.scheduleSteady();
      return;
    }
    const waited = this.clock.now() - this.startedAt;
    if (waited >= this.settings.startTimeoutMs) {
      this.stop();
      this.onEvent({ type: 'start-timeout', error: `no healthy answer within ${this.settings.startTimeoutMs} ms (last: ${outcome.error})` });
      return;
    }
    this.schedule(STARTUP_PROBE_INTERVAL_MS);
  }

  private afterReady(outcome: ProbeOutcome): void {
    if (outcome.ok) {
      const wasFailing = this.failures > 0;
      this.failures = 0;
      this.onEvent(wasFailing ? { type: 'recovered', outcome } : { type: 'ok', outcome });
      if (this.running) this.scheduleSteady();
      return;
    }
    this.failures += 1;
    if (this.failures >= this.settings.failureThreshold) {
      this.stop();
      this.onEvent({ type: 'dead', failures: this.failures, error: outcome.error });
      return;
    }
    this.onEvent({ type: 'failing', failures: this.failures, error: outcome.error });
    if (this.running) this.scheduleSteady();
  }
}
