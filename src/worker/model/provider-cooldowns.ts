import type { ProviderCooling } from '../../protocol/status.js';

export interface CooldownSettings {
  /** Failures within `windowMs` that put a route aside. */
  failures: number;
  windowMs: number;
  /** How long it stays aside before it is tried again. */
  cooldownMs: number;
}

interface RouteHealth {
  /** When its recent failures happened (within the window, oldest first). */
  failures: number[];
  /** Until when it is aside; 0 when it never was since its last success. */
  coolingUntil: number;
}

/**
 * Which model routes (provider + model) are cooling down, as LiteLLM's router does: `failures`
 * failures within `windowMs` put a route aside for `cooldownMs`; after that it is tried again, and
 * a failure on that try puts it aside again at once (it has not shown it is back); a success
 * clears its record. Failures while it is aside (calls already in flight) do not extend it. One per
 * worker process, shared by its tasks; time comes from `now` so tests run it in virtual time.
 */
export class ProviderCooldowns {
  private readonly routes = new Map<string, RouteHealth>();

  constructor(
    private readonly settings: CooldownSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Positions of `labels` in the order to try them: the routes not cooling in their configured
   * order, then the cooling ones, the one back soonest first — a last resort beats no answer.
   */
  order(labels: readonly string[]): number[] {
    const now = this.now();
    const until = labels.map((label) => this.coolingUntil(label, now));
    const ready = labels.map((_, index) => index).filter((index) => until[index] === 0);
    const cooling = labels.map((_, index) => index).filter((index) => until[index]! > 0).sort((a, b) => until[a]! - until[b]! || a - b);
    return [...ready, ...cooling];
  }

  isCooling(label: string): boolean {
    return this.coolingUntil(label, this.now()) > 0;
  }

  /** Records a failed call; true when it starts a cooldown. */
  recordFailure(label: string): boolean {
    const now = this.now();
    let health = this.routes.get(label);
    if (!health) {
      health = { failures: [], coolingUntil: 0 };
      this.routes.set(label, health);
    }
    if (now < health.coolingUntil) return false;
    const retried = health.coolingUntil > 0;
    health.failures = health.failures.filter((at) => now - at < this.settings.windowMs);
    health.failures.push(now);
    if (!retried && health.failures.length < this.settings.failures) return false;
    health.failures = [];
    health.coolingUntil = now + this.settings.cooldownMs;
    return true;
  }

  recordSuccess(label: string): void {
    this.routes.delete(label);
  }

  /** The routes aside now and when each is tried again: what the worker's /health reports. */
  cooling(): ProviderCooling[] {
    const now = this.now();
    return [...this.routes]
      .filter(([, health]) => now < health.coolingUntil)
      .map(([provider, health]) => ({ provider, retryInMs: health.coolingUntil - now }));
  }

  /** 0 when `label` is not aside at `now`, else when it is tried again. */
  private coolingUntil(label: string, now: number): number {
    const until = this.routes.get(label)?.coolingUntil ?? 0;
    return now < until ? until : 0;
  }
}
