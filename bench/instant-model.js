// An OpenAI-compatible chat completions endpoint that answers at once, for benchmarks only: it
// measures lightning, not a model. Plain and streaming (with usage) answers; no tool calls.
import http from 'node:http';

export async function startInstantModel() {
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      if (request.url !== '/v1/chat/completions') {
        response.writeHead(404).end();
        return;
      }
      const parsed = JSON.parse(body);
      const input = parsed.messages.at(-1)?.content ?? '';
      sendCompletion(response, parsed, `done: ${String(input).slice(0, 40)}`, 'chatcmpl-bench');
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}/v1`, close: () => new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); }) };
}

/** One chat completion answering `text`: JSON, or SSE chunks (with usage) when `parsed.stream`. */
export function sendCompletion(response, parsed, text, id) {
  const usage = { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 };
  const base = { id, created: Math.floor(Date.now() / 1000), model: parsed.model };
  if (!parsed.stream) {
    const json = JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage });
    response.writeHead(200, { 'content-type': 'application/json' }).end(json);
    return;
  }
  const chunk = (delta, finish) => `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  response.end(
    chunk({ role: 'assistant', content: text }, null) +
      chunk({}, 'stop') +
      `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n` +
      'data: [DONE]\n\n',
  );
}
