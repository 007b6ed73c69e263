/**
 * The life of one agent instance. Each state carries exactly the data that is true in it, so a
 * `backoff` instance has no pid and a `healthy` one has no restart time.
 *
 *   starting ─ready─▶ healthy ⇄ unhealthy ─threshold─▶ (killed) ─▶ backoff ─▶ starting …
 *       └─exit / start timeout────────────────────────────────────▶ backoff │ failed
 *   any running state ─stop─▶ stopping ─▶ stopped
 *   failed (port held elsewhere) ─retryAt─▶ starting   (re-checked every maxDelay)
 *   failed │ stopped ─restart / start─▶ starting
 *
 * `backoff.stable` says the process had run (healthy ≥ minUptime) and is restarted at once;
 * otherwise it is a crash loop's `attempt`-th restart. `stopped.heldBy` is set when a user stopped
 * it (`lightning stop`): nothing starts it again but `start`, `restart` or `up`.
 */
export type InstanceState =
  | { name: 'starting'; since: number; pid: number; startedAt: number }
  | { name: 'healthy'; since: number; pid: number; startedAt: number }
  | { name: 'unhealthy'; since: number; pid: number; startedAt: number; failures: number; lastError: string }
  | { name: 'backoff'; since: number; until: number; attempt: number; stable: boolean; lastExit: string }
  /** `retryAt`: when a cause outside the instance (its port held elsewhere) is checked again. */
  | { name: 'failed'; since: number; reason: string; retryAt: number | null }
  | { name: 'stopping'; since: number; pid: number; startedAt: number }
  | { name: 'stopped'; since: number; heldBy: string | null };

export type StateName = InstanceState['name'];

/** The pid of the running process, if the state has one. */
export function pidOf(state: InstanceState): number | null {
  switch (state.name) {
    case 'starting':
    case 'healthy':
    case 'unhealthy':
    case 'stopping':
      return state.pid;
    case 'backoff':
    case 'failed':
    case 'stopped':
      return null;
    default:
      return assertNever(state);
  }
}

/** When the current process started (for uptime), if there is one. */
export function startedAtOf(state: InstanceState): number | null {
  switch (state.name) {
    case 'starting':
    case 'healthy':
    case 'unhealthy':
    case 'stopping':
      return state.startedAt;
    case 'backoff':
    case 'failed':
    case 'stopped':
      return null;
    default:
      return assertNever(state);
  }
}

/** States in which the instance will not run again unless told to. */
export function isSettled(state: InstanceState): boolean {
  return state.name === 'failed' || state.name === 'stopped';
}

export function assertNever(value: never): never {
  throw new Error(`unexpected state: ${JSON.stringify(value)}`);
}
