import type { RestartSettings } from '../config/types.js';

/** Why an instance stopped running; decides whether `on-failure` restarts it. */
export type ExitCause =
  | { reason: 'exited'; code: number | null; signal: string | null }
  | { reason: 'health-failed'; detail: string }
  | { reason: 'start-timeout'; detail: string }
  | { reason: 'spawn-error'; detail: string };

export type RestartDecision =
  | { action: 'restart'; delayMs: number; attempt: number }
  | { action: 'give-up'; reason: string };

/**
 * Exponential backoff with jitter over a crash streak.
 *
 * The first restart of a streak is immediate: a one-off crash then costs only the spawn time.
 * Restart n ≥ 2 waits initialDelay × factor^(n-2), capped at maxDelay, ±20 % jitter so a fleet
 * that crashed together does not restart in lock-step. The streak ends once an instance stays
 * healthy for `resetAfter`; more than `maxRestarts` restarts in one streak gives up.
 */
export class RestartPolicy {
  private streak = 0;

  constructor(
    private readonly settings: RestartSettings,
    /** Injected for testing: returns a number in [0, 1). */
    private readonly random: () => number = Math.random,
  ) {}

  /** Restarts so far in the current crash streak. */
  get restartsInStreak(): number {
    return this.streak;
  }

  decide(cause: ExitCause): RestartDecision {
    const { policy, maxRestarts } = this.settings;
    if (policy === 'never') return { action: 'give-up', reason: `${describeExit(cause)} (restart policy: never)` };
    if (policy === 'on-failure' && isCleanExit(cause)) {
      return { action: 'give-up', reason: `${describeExit(cause)} (restart policy: on-failure)` };
    }
    if (this.streak >= maxRestarts) {
      return {
        action: 'give-up',
        reason: `${describeExit(cause)}; gave up after ${maxRestarts} restart${maxRestarts === 1 ? '' : 's'} in a row`,
      };
    }
    this.streak += 1;
    return { action: 'restart', delayMs: this.delayFor(this.streak), attempt: this.streak };
  }

  /** Called when an instance has been healthy for `resetAfter`. */
  reset(): void {
    this.streak = 0;
  }

  private delayFor(attempt: number): number {
    if (attempt <= 1) return 0;
    const { initialDelayMs, factor, maxDelayMs } = this.settings;
    const base = Math.min(maxDelayMs, initialDelayMs * factor ** (attempt - 2));
    const jitter = 1 + (this.random() * 0.4 - 0.2);
    return Math.round(Math.min(maxDelayMs, base * jitter));
  }
}

function isCleanExit(cause: ExitCause): boolean {
  return cause.reason === 'exited' && cause.code === 0;
}

export function describeExit(cause: ExitCause): string {
  switch (cause.reason) {
    case 'exited':
      if (cause.signal) return `killed by ${cause.signal}`;
      return `exited with code ${cause.code ?? 'unknown'}`;
    case 'health-failed':
      return `health check failed: ${cause.detail}`;
    case 'start-timeout':
      return `not healthy in time: ${cause.detail}`;
    case 'spawn-error':
      return `could not start: ${cause.detail}`;
    default: {
      const unreachable: never = cause;
      return String(unreachable);
    }
  }
}
