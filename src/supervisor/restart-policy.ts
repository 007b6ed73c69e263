import type { RestartSettings } from '../config/types.js';

/** Why an instance stopped running; decides whether `on-failure` restarts it. */
export type ExitCause =
  | { reason: 'exited'; code: number | null; signal: string | null }
  | { reason: 'health-failed'; detail: string }
  | { reason: 'start-timeout'; detail: string }
  | { reason: 'spawn-error'; detail: string };

/**
 * How long the process that just ended had been healthy: null when it never became healthy.
 * This is what tells a process that ran from one that crash-loops.
 */
export type HealthyRun = { healthyForMs: number | null };

export type RestartDecision =
  | {
      action: 'restart';
      delayMs: number;
      /** The restart's number in the current crash streak; 0 for a restart after a stable run. */
      attempt: number;
      /** The process had been healthy for at least minUptime: not part of a crash loop. */
      stable: boolean;
    }
  | { action: 'give-up'; reason: string };

/**
 * Tells a process that ran from one that crash-loops, and backs off only the latter.
 *
 * - A process that became healthy and stayed healthy for at least `minUptime` before it died has
 *   shown it can run: it is restarted at once, every time. Its death ends any crash streak and
 *   never counts toward giving up (Kubernetes never gives up; PM2 counts only restarts of a
 *   process that lived less than `min_uptime` as unstable).
 * - A process that died before becoming healthy, or before `minUptime`, is crash-looping: the
 *   first restart of the streak is immediate (a one-off crash then costs only the spawn time);
 *   restart n ≥ 2 waits initialDelay × factor^(n-2), capped at maxDelay, ±20 % jitter so a fleet
 *   that crashed together does not restart in lock-step. After `maxRestarts` of these in a row
 *   the instance is given up on (`failed`).
 * - The streak also ends once an instance stays healthy for `resetAfter`.
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

  decide(cause: ExitCause, run: HealthyRun = { healthyForMs: null }): RestartDecision {
    const { policy, maxRestarts } = this.settings;
    if (policy === 'never') return { action: 'give-up', reason: `${describeExit(cause)} (restart policy: never)` };
    if (policy === 'on-failure' && isCleanExit(cause)) {
      return { action: 'give-up', reason: `${describeExit(cause)} (restart policy: on-failure)` };
    }
    if (isStableRun(run, this.settings)) {
      this.streak = 0;
      return { action: 'restart', delayMs: 0, attempt: 0, stable: true };
    }
    if (this.streak >= maxRestarts) {
      return {
        action: 'give-up',
        reason: `${describeExit(cause)}; gave up after ${maxRestarts} restart${maxRestarts === 1 ? '' : 's'} in a row`,
      };
    }
    this.streak += 1;
    return { action: 'restart', delayMs: this.delayFor(this.streak), attempt: this.streak, stable: false };
  }

  /** Called when an instance has been healthy for `resetAfter`, or is restarted by hand. */
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

/** Healthy for at least minUptime before it died. */
export function isStableRun(run: HealthyRun, settings: RestartSettings): boolean {
  return run.healthyForMs !== null && run.healthyForMs >= settings.minUptimeMs;
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
