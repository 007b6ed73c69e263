import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TaskResult } from '../../src/protocol/task.js';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { startOtlpReceiver } from '../fixtures/otlp-receiver.js';
import type { OtlpReceiver, ReceivedSpan } from '../fixtures/otlp-receiver.js';
import { ROOT, cli, generalistYaml, makeProject, teardown, waitFor } from '../helpers/fleet.js';

const EVERYTHING = path.join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

/**
 * OpenTelemetry end to end: a fleet started with OTEL_EXPORTER_OTLP_ENDPOINT pointing at an
 * in-process OTLP/HTTP protobuf receiver. One task with a tool call must arrive as one trace:
 * task → route, task → attempt → (worker) execute → chat calls and the tool call, the task id on
 * every span, the GenAI attributes on the model calls.
 */
describe('tracing (OTLP over HTTP/protobuf)', () => {
  let receiver: OtlpReceiver;
  let model: OpenAiTestServer;
  let dir: string;
  let info: { api: string; token: string };

  beforeAll(async () => {
    [receiver, model] = await Promise.all([startOtlpReceiver(), startOpenAiTestServer()]);
    dir = makeProject(generalistYaml({ defaults: `  model: traced-model
  provider: { baseURL: "${model.url}" }
`, agent: `    tools:
      mcp:
        everything:
          command: ["${process.execPath}", "${EVERYTHING}"]
          args: [stdio]
` }));
    const up = await cli(dir, ['up', '-d'], { env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100' } });
    if (up.exitCode !== 0) throw new Error(`up -d failed: ${up.stderr}`);
    info = JSON.parse(readFileSync(path.join(dir, '.lightning/supervisor.json'), 'utf8')) as { api: string; token: string };
  }, 60_000);

  afterAll(async () => {
    await teardown(dir);
    await Promise.all([receiver.close(), model.close()]);
  });

  async function runTask(input: string, traceparent?: string): Promise<TaskResult> {
    const response = await fetch(`${info.api}/v1/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json', ...(traceparent ? { traceparent } : {}) },
      body: JSON.stringify({ input, wait: true }),
    });
    return (await response.json()) as TaskResult;
  }

  it('an MCP tool call is a span of its own under the worker\'s execution, marked as MCP', async () => {
    const task = await runTask('call tool everything__echo with {"message": "traced"}');
    expect(task.status).toBe('completed');
    const call = await waitFor('the MCP call\'s span', async () =>
      receiver.spans.find((span) => span.attributes['lightning.task.id'] === task.id && span.name === 'execute_tool everything__echo'), 15_000);
    const execute = await waitFor('the execution span', async () => receiver.spans.find((span) => span.attributes['lightning.task.id'] === task.id && span.name === 'execute'), 15_000);
    expect(call.parentSpanId).toBe(execute.spanId);
    expect(call.traceId).toBe(execute.traceId);
    expect(call.attributes).toMatchObject({ 'gen_ai.tool.name': 'everything__echo', 'lightning.tool.source': 'mcp', 'mcp.method.name': 'tools/call' });
    expect(call.status.code).toBe(0);
  }, 60_000);

  it('a caller\'s traceparent on POST /v1/tasks: the task joins the caller\'s trace', async () => {
    const traceId = 'a1'.repeat(16);
    const parentId = 'b2'.repeat(8);
    const task = await runTask('Translate hello into French', `00-${traceId}-${parentId}-01`);
    expect(task.status).toBe('completed');
    const root = await waitFor('the task span', async () => receiver.spans.find((span) => span.attributes['lightning.task.id'] === task.id && span.name === 'task'), 15_000);
    expect(root).toMatchObject({ traceId, parentSpanId: parentId });
    await waitFor('the worker\'s spans in the same trace', async () => receiver.spans.some((span) => span.traceId === traceId && span.name === 'execute'), 15_000);
  }, 60_000);

  it('one task is one trace: supervisor and worker spans joined through traceparent, with GenAI attributes', async () => {
    const response = await fetch(`${info.api}/v1/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input: 'write a file named notes.txt containing hello traces', wait: true }),
    });
    const task = (await response.json()) as TaskResult;
    expect(task.status).toBe('completed');

    const mine = (): ReceivedSpan[] => receiver.spans.filter((span) => span.attributes['lightning.task.id'] === task.id);
    await waitFor('the task\'s spans', async () => {
      const names = mine().map((span) => span.name);
      return ['task', 'route', 'attempt', 'execute', 'execute_tool write_file'].every((name) => names.includes(name)) && names.filter((name) => name === 'chat traced-model').length === 2;
    }, 15_000);
    expect(receiver.contentTypes.every((type) => type === 'application/x-protobuf')).toBe(true);

    const spans = mine();
    const named = (name: string) => spans.filter((span) => span.name === name);
    const only = (name: string) => {
      expect(named(name)).toHaveLength(1);
      return named(name)[0]!;
    };
    const root = only('task');
    const route = only('route');
    const attempt = only('attempt');
    const execute = only('execute');
    const tool = only('execute_tool write_file');
    const chats = named('chat traced-model');

    // One trace, the tree as built across the two processes.
    expect(new Set(spans.map((span) => span.traceId))).toEqual(new Set([root.traceId]));
    expect(root.parentSpanId).toBe('');
    expect(route.parentSpanId).toBe(root.spanId);
    expect(attempt.parentSpanId).toBe(root.spanId);
    expect(execute.parentSpanId).toBe(attempt.spanId);
    for (const child of [tool, ...chats]) expect(child.parentSpanId).toBe(execute.spanId);
    // Every span of the task carries its id; nothing else of this trace was sent without it.
    expect(receiver.spans.filter((span) => span.traceId === root.traceId).length).toBe(spans.length);

    expect(root.resource['service.name']).toBe('lightning-supervisor');
    expect(execute.resource['service.name']).toBe('lightning-worker');
    expect(execute.resource['lightning.agent']).toBe('general_assistant');
    expect(root.attributes).toMatchObject({ 'lightning.task.status': 'completed', 'lightning.agent': 'general_assistant' });
    expect(route.attributes).toMatchObject({
      'lightning.route.pick': 'general_assistant',
      'lightning.route.candidates': ['general_assistant'],
      'lightning.route.decision': expect.any(String),
    });
    expect((route.attributes['lightning.route.scores'] as number[])[0]).toEqual(expect.any(Number));
    expect(attempt.attributes).toMatchObject({ 'lightning.agent': 'general_assistant', 'lightning.instance': 0, 'lightning.attempt': 1, 'lightning.attempt.status': 'completed' });
    expect(attempt.kind).toBe(3); // SPAN_KIND_CLIENT
    expect(execute.kind).toBe(2); // SPAN_KIND_SERVER
    expect(execute.attributes).toMatchObject({ 'lightning.task.status': 'completed', 'lightning.agent': 'general_assistant' });

    const port = Number(new URL(model.url).port);
    for (const chat of chats) {
      expect(chat.attributes).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'traced-model',
        'server.address': '127.0.0.1',
        'server.port': port,
        'gen_ai.usage.input_tokens': expect.any(Number),
        'gen_ai.usage.output_tokens': expect.any(Number),
      });
    }
    expect(chats.map((chat) => chat.attributes['gen_ai.response.finish_reasons']).sort()).toEqual([['stop'], ['tool_calls']]);
    expect(tool.attributes).toMatchObject({ 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'write_file', 'lightning.tool.source': 'builtin' });
    expect(tool.status.code).toBe(0);
  }, 60_000);
});
