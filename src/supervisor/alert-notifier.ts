import { spawn } from 'node:child_process';
import { loadUndici } from '../util/undici.js';
import { WEBHOOK_RETRY } from '../config/defaults.js';
import type { AlertSettings } from '../config/types.js';
import type { Alert } from '../protocol/events.js';

/**
 * Delivers alerts beyond the ledger and the dashboard: a webhook POST (JSON, over undici like
 * every other outgoing call of the supervisor; retried with backoff on network errors, timeouts,
 * 408, 429 and 5xx, each try bounded by the timeout) and/or a command with the alert in
 * $LIGHTNING_ALERT. Failures are logged, never thrown: an alert that cannot be delivered must not
 * hurt the fleet.
 */
export class AlertNotifier {
  constructor(
    private readonly settings: AlertSettings,
    private readonly log: (message: string) => void,
    /** Injected so tests need not wait out the backoff. */
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()),
  ) {}

  async notify(alert: Alert): Promise<void> {
    await Promise.all([this.webhook(alert), this.command(alert)]);
  }

  private async webhook(alert: Alert): Promise<void> {
    const hook = this.settings.webhook;
    if (!hook) return;
    const body = JSON.stringify({ source: 'lightning', ...alert });
    let failure = '';
    for (let attempt = 0; attempt <= hook.retries; attempt += 1) {
      const result = await post(hook.url, body, hook.timeoutMs);
      if (result.ok) return;
      failure = result.message;
      if (!result.retryable || attempt === hook.retries) break;
      const backoff = WEBHOOK_RETRY.initialDelayMs * WEBHOOK_RETRY.factor ** attempt;
      await this.sleep(Math.min(result.retryAfterMs ?? backoff, WEBHOOK_RETRY.maxDelayMs));
    }
    this.log(`alert webhook ${hook.url} failed after ${hook.retries + 1} tries: ${failure}`);
  }

  private command(alert: Alert): Promise<void> {
    const argv = this.settings.command;
    if (!argv || argv.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, LIGHTNING_ALERT: JSON.stringify(alert) }, stdio: 'ignore' });
      child.on('error', (error) => {
        this.log(`alert command ${argv[0]} could not run: ${error.message}`);
        resolve();
      });
      child.on('exit', (code) => {
        if (code !== 0) this.log(`alert command ${argv.join(' ')} exited with code ${code}`);
        resolve();
      });
    });
  }
}

type PostResult = { ok: true } | { ok: false; retryable: boolean; message: string; retryAfterMs: number | null };

/** One POST: delivered (2xx), or why not and whether trying again can help. */
async function post(url: string, body: string, timeoutMs: number): Promise<PostResult> {
  try {
    const { request } = await loadUndici();
    const response = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(timeoutMs) });
    await response.body.dump();
    if (response.statusCode >= 200 && response.statusCode < 300) return { ok: true };
    return {
      ok: false,
      retryable: WEBHOOK_RETRY.statuses.includes(response.statusCode),
      message: `HTTP ${response.statusCode}`,
      retryAfterMs: retryAfterMs(response.headers['retry-after']),
    };
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    const code = (error as { code?: string }).code;
    return { ok: false, retryable: true, message: timedOut ? `no answer within ${timeoutMs} ms` : (code ?? (error as Error).message), retryAfterMs: null };
  }
}

/** Retry-After in seconds or as an HTTP date, in milliseconds from now; null when absent or unreadable. */
function retryAfterMs(header: string | string[] | undefined): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}
