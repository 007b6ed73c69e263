import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type net from 'node:net';
import { httpProbe } from '../../src/supervisor/http-probe.js';

/** A real server on port 0 whose routes answer /health the ways a worker (or a broken one) might. */
describe('httpProbe against a real HTTP server', () => {
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      if (request.url === '/ok') return void response.end(JSON.stringify({ status: 'ok', inflight: 2, capacity: 8 }));
      if (request.url === '/busy') {
        response.statusCode = 503;
        return void response.end('{}');
      }
      // Over the 64 KiB a health answer may be: not read as one, and the rest drained.
      if (request.url === '/huge') return void response.end(JSON.stringify({ status: 'ok', padding: 'x'.repeat(100 * 1024) }));
      // Headers, part of the body, then the connection drops.
      response.writeHead(200, { 'content-length': '1000' });
      response.write('{"status":');
      setTimeout(() => request.socket.destroy(), 20);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('a 200 with a JSON body is healthy, with the body read', async () => {
    const outcome = await httpProbe(`${base}/ok`, 2000);
    expect(outcome.ok && outcome.body).toEqual({ status: 'ok', inflight: 2, capacity: 8 });
  });

  it('another status fails with it', async () => {
    const outcome = await httpProbe(`${base}/busy`, 2000);
    expect(outcome).toMatchObject({ ok: false, status: 503, error: `HTTP 503 from ${base}/busy` });
  });

  it('an answer over the limit is a 200 without a health body, and the connection still serves the next probe', async () => {
    const outcome = await httpProbe(`${base}/huge`, 2000);
    expect(outcome.ok).toBe(true);
    expect(outcome.ok && outcome.body).toBeNull();
    expect((await httpProbe(`${base}/ok`, 2000)).ok).toBe(true);
  });

  it('a connection that drops mid-answer fails the probe', async () => {
    const outcome = await httpProbe(`${base}/drop`, 2000);
    expect(outcome.ok).toBe(false);
  });

  it('nothing listening fails at the knock with the error code', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const outcome = await httpProbe(`http://127.0.0.1:${port}/health`, 2000, { knock: true });
    expect(outcome).toMatchObject({ ok: false, error: `ECONNREFUSED (http://127.0.0.1:${port}/health)` });
  });
});
