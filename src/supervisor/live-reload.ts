import type { LightningConfig } from '../config/types.js';
import { NO_CHANGE, describeDiff } from './config-diff.js';
import type { ConfigDiff } from './config-diff.js';
import type { Supervisor } from './supervisor.js';

/** Editors write a file in bursts (truncate, write, rename): act once it has been quiet this long. */
const DEBOUNCE_MS = 300;

export type ReloadResult = { ok: true; diff: ConfigDiff; summary: string } | { ok: false; error: string };

/**
 * agents.yaml, live: watched with chokidar (debounced) and applied on demand (`lightning reload`).
 * A valid file is applied to the running fleet; an invalid one leaves the fleet as it is and the
 * error (file:line:col) is kept for `status` until a valid file replaces it.
 */
export class LiveReload {
  error: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private watcher: { close(): Promise<void> } | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** The last reload that changed something: a `lightning reload` right after the watcher's says so. */
  private lastChange: { summary: string; at: Date } | null = null;

  constructor(
    private readonly supervisor: Supervisor,
    private readonly report: (result: ReloadResult) => void,
  ) {}

  /** Reloads now; reloads never overlap (a second waits for the first). */
  reload(): Promise<ReloadResult> {
    const run = this.queue.then(() => this.apply());
    this.queue = run.catch(() => undefined);
    return run;
  }

  async watch(): Promise<void> {
    const { watch } = await import('chokidar');
    // `.env` too: a changed key reaches the agents it concerns without a `lightning reload`.
    const watcher = watch([this.supervisor.config.path, this.supervisor.environment.file], { ignoreInitial: true });
    watcher.on('all', () => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.reload(), DEBOUNCE_MS);
    });
    this.watcher = watcher;
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.watcher?.close();
  }

  private async apply(): Promise<ReloadResult> {
    const { loadConfig } = await import('../config/load.js');
    let next: LightningConfig;
    try {
      next = loadConfig(this.supervisor.config.path);
    } catch (error) {
      this.error = (error as Error).message;
      const result: ReloadResult = { ok: false, error: this.error };
      this.report(result);
      return result;
    }
    const env = this.supervisor.refreshEnvironment();
    if (env.error) {
      this.error = env.error;
      const result: ReloadResult = { ok: false, error: this.error };
      this.report(result);
      return result;
    }
    this.error = null;
    const diff = await this.supervisor.applyConfig(next);
    let summary = describeDiff(diff);
    if (summary === NO_CHANGE && this.lastChange) {
      // The watcher applied the edit before the user's `lightning reload` came: say what it did.
      summary = `${NO_CHANGE} since the last reload (${this.lastChange.at.toISOString()}, on seeing the file change): ${this.lastChange.summary}`;
    } else if (summary !== NO_CHANGE) this.lastChange = { summary, at: new Date() };
    const result: ReloadResult = { ok: true, diff, summary };
    this.report(result);
    return result;
  }
}
