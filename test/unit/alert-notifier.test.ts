import { afterEach, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_ALERTS } from '../../src/config/defaults.js';
import { AlertNotifier } from '../../src/supervisor/alert-notifier.js';
import type { Alert } from '../../src/protocol/events.js';

const alert: Alert = { rule: 'agent-unhealthy', agent: 'flaky', state: 'firing', message: 'flaky has had no healthy instance for 30 s', value: 30, threshold: 30, since: '2026-01-01T00:00:00.000Z', at: '2026-01-01T00:00:30.000Z' };

/** A real webhook receiver on port 0 answering each POST with the next of `statuses`. */
async function receiver(statuses: Array<number | { status: number; retryAfter: string }>): Promise<{ url: string; bodies: unknown[]; close(): Promise<void> }> {
  const bodies: unknown[] = [];
  const server = http.createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    request.on('end', () => {
      bodies.push(JSON.parse(text));
      const next = statuses[Math.min(bodies.length - 1, statuses.length - 1)]!;
      const { status, retryAfter } = typeof next === 'number' ? { status: next, retryAfter: undefined } : next;
      response.writeHead(status, retryAfter ? { 'retry-after': retryAfter } : {});
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, bodies, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('AlertNotifier webhook (undici)', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  async function deliver(statuses: Parameters<typeof receiver>[0], retries: number) {
    const hook = await receiver(statuses);
    closers.push(hook.close);
    const logs: string[] = [];
    const waits: number[] = [];
    const notifier = new AlertNotifier({ ...DEFAULT_ALERTS, webhook: { url: hook.url, timeoutMs: 2000, retries } }, (line) => logs.push(line), async (ms) => void waits.push(ms));
    await notifier.notify(alert);
    return { bodies: hook.bodies, logs, waits };
  }

  it('POSTs the alert as JSON, retrying 5xx and 429 with doubling backoff (or Retry-After) until it lands', async () => {
    const { bodies, logs, waits } = await deliver([503, { status: 429, retryAfter: '3' }, 500, 200], 3);
    expect(bodies).toHaveLength(4);
    expect(bodies[0]).toEqual({ source: 'lightning', ...alert });
    expect(waits).toEqual([1000, 3000, 4000]);
    expect(logs).toEqual([]);
  });

  it('does not retry an answer that says the request is wrong (400), and logs why', async () => {
    const { bodies, logs, waits } = await deliver([400], 3);
    expect(bodies).toHaveLength(1);
    expect(waits).toEqual([]);
    expect(logs).toEqual([expect.stringMatching(/alert webhook http:\/\/127\.0\.0\.1:\d+\/hook failed after 4 tries: HTTP 400/)]);
  });

  it('gives up after the retries, with one log line', async () => {
    const { bodies, logs, waits } = await deliver([502], 2);
    expect(bodies).toHaveLength(3);
    expect(waits).toEqual([1000, 2000]);
    expect(logs).toEqual([expect.stringContaining('failed after 3 tries: HTTP 502')]);
  });

  it('retries a receiver that is not there (connection refused)', async () => {
    const hook = await receiver([200]);
    await hook.close();
    const logs: string[] = [];
    const waits: number[] = [];
    await new AlertNotifier({ ...DEFAULT_ALERTS, webhook: { url: hook.url, timeoutMs: 2000, retries: 1 } }, (line) => logs.push(line), async (ms) => void waits.push(ms)).notify(alert);
    expect(waits).toEqual([1000]);
    expect(logs).toEqual([expect.stringContaining('failed after 2 tries: ECONNREFUSED')]);
  });
});
