import { spawn } from 'node:child_process';
import type { AlertSettings } from '../config/types.js';
import type { Alert } from './alerts.js';

/**
 * Delivers alerts beyond the ledger and the dashboard: a webhook POST (JSON; got's retries with
 * backoff, each try bounded by the timeout) and/or a command with the alert in $LIGHTNING_ALERT.
 * Failures are logged, never thrown: an alert that cannot be delivered must not hurt the fleet.
 */
export class AlertNotifier {
  constructor(
    private readonly settings: AlertSettings,
    private readonly log: (message: string) => void,
  ) {}

  async notify(alert: Alert): Promise<void> {
    await Promise.all([this.webhook(alert), this.command(alert)]);
  }

  private async webhook(alert: Alert): Promise<void> {
    const hook = this.settings.webhook;
    if (!hook) return;
    // got only when an alert is sent: it costs ~100 ms of import, not worth paying at start-up.
    const { default: got } = await import('got');
    try {
      await got.post(hook.url, {
        json: { source: 'lightning', ...alert },
        timeout: { request: hook.timeoutMs },
        retry: { limit: hook.retries, methods: ['POST'], statusCodes: [408, 429, 500, 502, 503, 504], backoffLimit: 10_000 },
        throwHttpErrors: true,
      });
    } catch (error) {
      this.log(`alert webhook ${hook.url} failed after ${hook.retries + 1} tries: ${(error as Error).message}`);
    }
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
