// The chaos suite's model endpoint: OpenAI-compatible chat completions (plain and streaming, with
// usage) whose behaviour a scenario switches while tasks run. Test-side only, never used by src/.
//   ok      answer after `delayMs` (a short, fixed "thinking" time keeps tasks in flight)
//   error   HTTP 500 with an OpenAI-style error body and no retry hint: the SDK backs off as it
//           would against a real server in trouble
import http from 'node:http';
import { sendCompletion } from '../bench/instant-model.js';

export async function startChaosModel({ delayMs = 0 } = {}) {
  let mode = 'ok';
  const counts = { ok: 0, error: 0 };
  const sockets = new Set();
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || !request.url?.endsWith('/chat/completions')) {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
        return;
      }
      if (mode === 'error') {
        counts.error += 1;
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: 'the chaos model is down', type: 'server_error', param: null, code: null } }));
        return;
      }
      counts.ok += 1;
      const parsed = JSON.parse(body);
      const last = parsed.messages?.at(-1)?.content ?? '';
      const text = `done: ${String(last).slice(0, 60)}`;
      setTimeout(() => answer(response, parsed, text), delayMs);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/v1`,
    counts,
    get mode() {
      return mode;
    },
    setMode(next) {
      mode = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function answer(response, parsed, text) {
  if (response.destroyed) return;
  sendCompletion(response, parsed, text, 'chatcmpl-chaos');
}
