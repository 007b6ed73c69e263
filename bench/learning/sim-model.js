// An OpenAI-compatible endpoint for the learning simulation (benchmarks only). It answers at once,
// except that the agent whose system prompt starts with `# Role: <badRole>` fails (HTTP 500, no
// retry) on tasks matching `badTask`, with probability `failRate` (seeded, so runs repeat).
import http from 'node:http';

export async function startSimModel({ badRole, badTask, failRate, seed = 42 }) {
  let state = seed >>> 0;
  const random = () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const calls = { total: 0, failed: 0 };
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const parsed = JSON.parse(body);
      const system = String(parsed.messages.find((m) => m.role === 'system')?.content ?? '');
      const input = String(parsed.messages.findLast((m) => m.role === 'user')?.content ?? '');
      calls.total += 1;
      if (system.startsWith(`# Role: ${badRole}`) && badTask.test(input) && random() < failRate) {
        calls.failed += 1;
        response.writeHead(500, { 'content-type': 'application/json', 'x-should-retry': 'false' });
        response.end(JSON.stringify({ error: { message: `${badRole} could not do this`, type: 'server_error' } }));
        return;
      }
      const base = { id: 'sim', created: 0, model: parsed.model, object: 'chat.completion.chunk' };
      const text = `${system.split('\n')[0]} handled: ${input.slice(0, 60)}`;
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(
        `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: text }, finish_reason: null }] })}\n\n` +
          `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n` +
          `data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } })}\n\n` +
          'data: [DONE]\n\n',
      );
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/v1`,
    calls,
    close: () => new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); }),
  };
}
