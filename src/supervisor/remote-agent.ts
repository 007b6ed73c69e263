import type { InstanceSpec } from '../config/types.js';
import { instanceId } from '../config/types.js';
import { AGENT_CARD_PATH } from '../protocol/agent-card.js';
import type { Clock, TimerHandle } from './clock.js';
import type { FleetMember, MemberKind } from './fleet-member.js';
import type { HealthBody, ProbeFn, ProbeOutcome } from './health-prober.js';

/**
 * The life of an agent lightning does not run. It is never spawned, so never restarted: it is
 * only watched.
 *
 *   starting ─probe ok─▶ healthy ─failureThreshold misses─▶ unreachable ─probe ok─▶ healthy
 *       └─first probe fails─▶ unreachable                       any ─stop─▶ stopped
 */
export type RemoteState =
  | { name: 'starting'; since: number }
  | { name: 'healthy'; since: number }
  | { name: 'unreachable'; since: number; failures: number; lastError: string }
  | { name: 'stopped'; since: number };

export interface RemoteAgentDeps {
  probe: ProbeFn;
  clock: Clock;
  note(message: string): void;
  onChange(member: RemoteAgent, previous: RemoteState): void;
  onProbe?(member: RemoteAgent, ok: boolean, latencyMs: number): void;
}

/**
 * One probe of an agent running elsewhere at `path`. Any A2A agent qualifies, so one without that
 * route (404) is probed at its agent card instead; `path` is what answered for.
 */
export async function probeRemote(probe: ProbeFn, baseUrl: string, path: string, timeoutMs: number, options?: { knock?: boolean }): Promise<{ outcome: ProbeOutcome; path: string }> {
  const outcome = await probe(`${baseUrl}${path}`, timeoutMs, options);
  if (outcome.ok || outcome.status !== 404 || path === AGENT_CARD_PATH) return { outcome, path };
  return { outcome: await probe(`${baseUrl}${AGENT_CARD_PATH}`, timeoutMs), path: AGENT_CARD_PATH };
}

/**
 * A remote agent (`url:` in agents.yaml) or a registered one (joined through the control API):
 * probed at its health path every `interval`, routed to while healthy. Any A2A agent qualifies,
 * so one without a health route (404) is probed at its agent card instead.
 */
export class RemoteAgent implements FleetMember {
  readonly id: string;
  readonly pid = null;
  readonly restarts = 0;
  readonly lastExit = null;
  readonly nextRestartAt = null;
  readonly port: number;
  state: RemoteState;
  health: HealthBody | null = null;
  healthLatencyMs: number | null = null;
  private probePath: string;
  private timer: TimerHandle | null = null;
  private failures = 0;
  /** Bumped on stop so a probe in flight cannot report into a later life. */
  private generation = 0;

  constructor(
    readonly spec: InstanceSpec,
    readonly kind: Exclude<MemberKind, 'local'>,
    readonly baseUrl: string,
    private readonly deps: RemoteAgentDeps,
  ) {
    this.id = instanceId(spec.agent.name, spec.index);
    this.port = spec.port;
    this.probePath = spec.agent.health.path;
    this.state = { name: 'stopped', since: deps.clock.now() };
  }

  get reason(): string | null {
    return this.state.name === 'unreachable' ? this.state.lastError : null;
  }

  get uptimeMs(): number | null {
    return this.state.name === 'healthy' ? this.deps.clock.now() - this.state.since : null;
  }

  get settled(): boolean {
    return this.state.name !== 'starting';
  }

  start(): Promise<void> {
    if (this.state.name !== 'stopped') return Promise.resolve();
    this.failures = 0;
    this.transition({ name: 'starting', since: this.deps.clock.now() });
    this.schedule(0);
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.generation += 1;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = null;
    if (this.state.name !== 'stopped') this.transition({ name: 'stopped', since: this.deps.clock.now() });
    return Promise.resolve();
  }

  /** Nothing of ours to kill. */
  forceKill(): void {}

  private schedule(delayMs: number): void {
    const generation = this.generation;
    this.timer = this.deps.clock.setTimeout(() => void this.tick(generation), delayMs);
    this.timer.unref?.();
  }

  private async tick(generation: number): Promise<void> {
    const settings = this.spec.agent.health;
    const { outcome, path } = await probeRemote(this.deps.probe, this.baseUrl, this.probePath, settings.timeoutMs);
    if (generation !== this.generation) return;
    if (path !== this.probePath) {
      this.deps.note(`${this.baseUrl}${this.probePath} answers 404; probing the agent card (${AGENT_CARD_PATH}) instead`);
      this.probePath = path;
    }
    this.deps.onProbe?.(this, outcome.ok, outcome.latencyMs);
    const now = this.deps.clock.now();
    if (outcome.ok) {
      this.failures = 0;
      this.health = outcome.body;
      this.healthLatencyMs = outcome.latencyMs;
      if (this.state.name !== 'healthy') {
        if (this.state.name === 'unreachable') this.deps.note(`${this.baseUrl} answers again`);
        this.transition({ name: 'healthy', since: now });
      }
    } else {
      this.failures += 1;
      // A remote agent that never answered is unreachable at once; a healthy one gets the same
      // tolerance as a local instance (failureThreshold misses in a row) before it is taken out.
      if (this.state.name === 'starting' || this.state.name === 'unreachable' || this.failures >= settings.failureThreshold) {
        if (this.state.name !== 'unreachable') this.deps.note(`unreachable: ${outcome.error}`);
        this.health = null;
        this.transition({ name: 'unreachable', since: this.state.name === 'unreachable' ? this.state.since : now, failures: this.failures, lastError: outcome.error });
      }
    }
    this.schedule(settings.intervalMs);
  }

  private transition(next: RemoteState): void {
    const previous = this.state;
    this.state = next;
    if (previous.name !== next.name) this.deps.onChange(this, previous);
  }
}
