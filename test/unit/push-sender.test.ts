import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PUSH_DELIVERY } from '../../src/config/defaults.js';
import { postWithRetry, pushUrlProblem } from '../../src/worker/a2a/push-sender.js';
import type { PushDeliveryOptions } from '../../src/worker/a2a/push-sender.js';

/** Push delivery's retry rules against a real webhook server; the backoff's waits are recorded, not slept. */
describe('push notification delivery', () => {
  let server: http.Server;
  let url: string;
  const answers: number[] = [];
  let posts = 0;

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        posts += 1;
        response.writeHead(answers.shift() ?? 200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const run = async (target: string, statuses: number[]) => {
    answers.splice(0, answers.length, ...statuses);
    posts = 0;
    const waits: number[] = [];
    const options: PushDeliveryOptions = {
      ...PUSH_DELIVERY,
      sleep: async (ms) => void waits.push(ms),
      fetch: (input, init) => fetch(input, init),
      log: () => undefined,
    };
    const failure = await postWithRetry(target, { 'content-type': 'application/a2a+json' }, '{}', options);
    return { failure, waits, posts };
  };

  it('delivers at once when the webhook takes it', async () => {
    expect(await run(url, [200])).toEqual({ failure: null, waits: [], posts: 1 });
  });

  it('tries again after a 5xx, 429 or 408, backing off 250, 500, 1000 ms', async () => {
    expect(await run(url, [500, 429, 408, 204])).toEqual({ failure: null, waits: [250, 500, 1000], posts: 4 });
  });

  it('gives up after four attempts, saying why', async () => {
    const result = await run(url, [503, 503, 503, 503, 200]);
    expect(result.failure).toEqual({ reason: 'http_status', status: 503, retryable: true });
    expect(result.posts).toBe(PUSH_DELIVERY.attempts);
    expect(result.waits).toEqual([250, 500, 1000]);
  });

  it('does not retry a 4xx the webhook means (401, 404)', async () => {
    expect((await run(url, [401])).failure).toEqual({ reason: 'http_status', status: 401, retryable: false });
    expect((await run(url, [404])).posts).toBe(1);
  });

  it('retries a refused connection, then gives up', async () => {
    const closed = await new Promise<number>((resolve) => {
      const probe = http.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const result = await run(`http://127.0.0.1:${closed}/hook`, []);
    expect(result.failure).toMatchObject({ reason: 'network', retryable: true });
    expect(result.waits).toHaveLength(PUSH_DELIVERY.attempts - 1);
  });

  it('never POSTs to a URL that is not http(s), and says so when the config is set', async () => {
    expect(await run('file:///etc/passwd', [])).toEqual({ failure: { reason: 'bad_url', retryable: false }, waits: [], posts: 0 });
    expect(pushUrlProblem('ftp://example.com/x')).toContain('http:// or https://');
    expect(pushUrlProblem('')).toBe('push notification config needs a url');
    expect(pushUrlProblem('https://example.com/hook')).toBeNull();
  });
});
