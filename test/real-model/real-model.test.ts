/**
 * `npm run test:real-model`: the fleet as shipped (the repository's agents.yaml, the six built-in
 * agents, default policies) against a REAL OpenAI-compatible inference server — llama.cpp's
 * llama-server with the tiny tool-capable model of ../shared/real-llm (start.sh) — set up as a user
 * would: a copy of the project, `.env` with OPENAI_BASE_URL, `lightning up -d`, `lightning run`.
 *
 * Per agent: a plain task (`lightning run --json`), a streaming task (A2A message/stream on the
 * supervisor), and a task asking for a file (the tool loop); then the provider-failover scenario.
 * The model is tiny and its answers are silly: a task counts as completed when the protocol
 * completed (the model stopped, the tool loop ended), as failed cleanly when it ended with a
 * reason. A hang, an unclear failure, a provider error reaching a task during the failover or a
 * junk path in a workspace fails the test. Not part of `npm test`: jest.real-model.config.js.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { BIN, ROOT, freePort, repoFleetOnFreePorts, userEnv } from '../helpers/fleet.js';
import { checkPathArgument } from '../../src/worker/model/tools.js';
import type { TaskProgress, TaskResult } from '../../src/protocol/task.js';

const REAL_LLM_DIR = path.resolve(ROOT, process.env.REAL_LLM_DIR || '../shared/real-llm');
const START = path.join(REAL_LLM_DIR, 'start.sh');
const REAL_LLM_HOME = process.env.REAL_LLM_HOME || '/tmp/real-llm';
const SERVER_BINARY = path.join(REAL_LLM_HOME, 'llama.cpp/build/bin/llama-server');
const present = fs.existsSync(START);
const AGENTS = ['web_developer', 'data_analyst', 'security_expert', 'devops_engineer', 'qa_tester', 'general_assistant'];

/** Longer than any task may take (agents.yaml: task.timeout 120s); past it, a task hung. */
const HANG_MS = 150_000;

if (!present) {
  process.stdout.write(
    `\nreal-model: SKIPPED — ${START} is absent.\n` +
    '  It lives in the shared directory beside the repository in the lightning workspace (../shared/real-llm):\n' +
    "  start.sh builds llama.cpp's llama-server from the source inside the npm package node-llama-cpp@3.21.1\n" +
    '  (~22 min on 2 cores, once) and serves the tiny tool-capable model shipped beside it.\n' +
    '  Copy that directory there, or point REAL_LLM_DIR at the directory holding start.sh.\n\n',
  );
}

interface Outcome {
  agent: string;
  kind: 'plain' | 'stream' | 'tool' | 'failover' | 'after-outage';
  /** completed: the protocol completed; failed: ended with a reason (the reason is kept). */
  status: 'completed' | 'failed';
  reason: string | null;
  ms: number;
  /** Seen in the stream's progress; null for `lightning run --json`, which prints only the result. */
  toolCalls: number | null;
  deltas: number;
  files: string[];
}

const outcomes: Outcome[] = [];
const notes: string[] = [];
let modelUrl = '';
let startedPid: number | null = null;

function say(line: string): void {
  process.stdout.write(`real-model: ${line}\n`);
}

/** The user's environment without any model settings of our own shell: the project's .env decides. */
function cleanEnv(): Record<string, string> {
  const env = userEnv();
  for (const key of Object.keys(env)) if (key.startsWith('OPENAI_')) delete env[key];
  return env;
}

async function cli(dir: string, args: string[], timeoutMs = HANG_MS): Promise<{ exitCode: number; stdout: string; stderr: string; timedOut: boolean }> {
  const result = await execa(process.execPath, [BIN, ...args], { cwd: dir, env: cleanEnv(), extendEnv: false, reject: false, timeout: timeoutMs, stdin: 'ignore' });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr), timedOut: Boolean(result.timedOut) };
}

async function answers(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/models`, { signal: AbortSignal.timeout(3000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** A server start.sh started earlier on this machine and still answering, if any. */
async function runningServer(): Promise<string | null> {
  if (!fs.existsSync(REAL_LLM_HOME)) return null;
  for (const file of fs.readdirSync(REAL_LLM_HOME)) {
    const port = /^server-(\d+)\.pid$/.exec(file)?.[1];
    if (!port) continue;
    const pid = Number(fs.readFileSync(path.join(REAL_LLM_HOME, file), 'utf8').trim());
    try {
      process.kill(pid, 0);
    } catch {
      continue;
    }
    const url = `http://127.0.0.1:${port}/v1`;
    if (await answers(url)) return url;
  }
  return null;
}

async function startServer(): Promise<string> {
  if (process.env.REAL_LLM_URL) return process.env.REAL_LLM_URL.replace(/\/$/, '');
  const running = await runningServer();
  if (running) {
    say(`reusing the running llama-server at ${running}`);
    return running;
  }
  if (!fs.existsSync(SERVER_BINARY)) {
    say(`llama-server is not built on this machine yet (${SERVER_BINARY}): start.sh builds it first — about 22 minutes on 2 cores, once (cached under ${REAL_LLM_HOME})`);
  }
  const port = await freePort();
  say(`starting llama-server: ${START} ${port}`);
  const started = await execa('bash', [START, String(port)], { reject: false, stdout: 'pipe', stderr: 'inherit', timeout: 45 * 60_000 });
  if (started.exitCode !== 0) throw new Error(`${START} ${port} failed (exit ${started.exitCode}); see ${REAL_LLM_HOME}/server-${port}.log and ${REAL_LLM_HOME}/build.log`);
  startedPid = Number(fs.readFileSync(path.join(REAL_LLM_HOME, `server-${port}.pid`), 'utf8').trim());
  return String(started.stdout).trim().split('\n').pop()!.replace(/\/$/, '');
}

interface Supervisor {
  api: string;
  token: string;
}

function supervisorOf(dir: string): Supervisor {
  return JSON.parse(fs.readFileSync(path.join(dir, '.lightning/supervisor.json'), 'utf8')) as Supervisor;
}

async function taskResult(dir: string, id: string): Promise<TaskResult> {
  const { api, token } = supervisorOf(dir);
  const response = await fetch(`${api}/v1/tasks/${id}`, { headers: { authorization: `Bearer ${token}` } });
  return (await response.json()) as TaskResult;
}

/** Every file and directory a task left in its workspace that the tools' own path rules would refuse. */
function junkPaths(dir: string, taskId: string): string[] {
  const root = path.join(dir, '.lightning/workspaces', taskId);
  const junk: string[] = [];
  const walk = (at: string): void => {
    if (!fs.existsSync(at)) return;
    for (const entry of fs.readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      const rel = path.relative(root, full);
      try {
        checkPathArgument(rel);
      } catch (error) {
        junk.push(`${JSON.stringify(rel)} (${(error as Error).message})`);
      }
      if (entry.isDirectory()) walk(full);
    }
  };
  walk(root);
  return junk;
}

/**
 * The verdict on a finished task: completed, or failed with a reason that says what happened. An
 * empty or unexplained failure is not an acceptable ending, and is returned as a problem.
 */
function verdict(result: TaskResult): { status: Outcome['status']; reason: string | null; problem: string | null } {
  if (result.status === 'completed') return { status: 'completed', reason: null, problem: null };
  const reason = result.error ?? result.attempts.at(-1)?.error ?? null;
  if (result.status === 'failed' && reason && reason.trim().length >= 10) return { status: 'failed', reason, problem: null };
  return { status: 'failed', reason, problem: `task ${result.id} (${result.agent}) ended ${result.status} without a clear reason: ${JSON.stringify(reason)}` };
}

/** `lightning run --json --agent NAME "input"`, as a user types it. */
async function runTask(dir: string, agent: string, input: string, kind: Outcome['kind']): Promise<{ outcome: Outcome; result: TaskResult; problem: string | null }> {
  const started = performance.now();
  const run = await cli(dir, ['run', '--json', '--agent', agent, input]);
  const ms = performance.now() - started;
  if (run.timedOut) throw new Error(`${kind} task for ${agent} hung: lightning run did not return within ${HANG_MS / 1000} s`);
  let result: TaskResult;
  try {
    result = JSON.parse(run.stdout) as TaskResult;
  } catch {
    throw new Error(`lightning run for ${agent} printed no JSON result (exit ${run.exitCode}): ${run.stdout.slice(0, 300)} ${run.stderr.slice(0, 300)}`);
  }
  const judged = verdict(result);
  const junk = junkPaths(dir, result.id);
  const problem = judged.problem ?? (junk.length > 0 ? `junk paths in the workspace of ${result.id}: ${junk.join(', ')}` : null);
  return { outcome: { agent, kind, status: judged.status, reason: judged.reason, ms, toolCalls: null, deltas: 0, files: result.files }, result, problem };
}

/**
 * A task through the supervisor's A2A endpoint with message/stream (JSON-RPC, A2A 0.3): the SSE
 * stream must end with a final status; the deltas and tool calls come as progress in its metadata.
 */
async function streamTask(dir: string, agent: string, input: string, kind: Outcome['kind']): Promise<{ outcome: Outcome; result: TaskResult; progress: TaskProgress[]; problem: string | null }> {
  const { api, token } = supervisorOf(dir);
  const started = performance.now();
  const response = await fetch(`${api}/a2a/jsonrpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    body: JSON.stringify({
      jsonrpc: '2.0', id: 1, method: 'message/stream',
      params: { message: { kind: 'message', messageId: `real-${agent}-${kind}-${Date.now()}`, role: 'user', parts: [{ kind: 'text', text: input }], metadata: { agent } } },
    }),
    signal: AbortSignal.timeout(HANG_MS),
  });
  if (response.status !== 200 || !response.body) throw new Error(`message/stream for ${agent} answered HTTP ${response.status}: ${await response.text()}`);
  const progress: TaskProgress[] = [];
  let taskId: string | null = null;
  let final = false;
  let buffered = '';
  const decoder = new TextDecoder();
  try {
    for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(bytes, { stream: true });
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const frame = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const data = frame.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).join('\n');
        if (!data) continue;
        const message = JSON.parse(data) as { result?: Record<string, unknown>; error?: { message: string } };
        if (message.error) throw new Error(`message/stream for ${agent}: JSON-RPC error ${message.error.message}`);
        const result = message.result ?? {};
        taskId ??= (result['taskId'] ?? (result['kind'] === 'task' ? result['id'] : null)) as string | null;
        const lightning = (result['metadata'] as { lightning?: { progress?: TaskProgress } } | undefined)?.lightning;
        if (lightning?.progress) progress.push(lightning.progress);
        if (result['final'] === true) final = true;
      }
    }
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') throw new Error(`${kind} task for ${agent} hung: the A2A stream did not end within ${HANG_MS / 1000} s`);
    throw error;
  }
  const ms = performance.now() - started;
  if (!taskId) throw new Error(`message/stream for ${agent} never named its task`);
  if (!final) throw new Error(`message/stream for ${agent} (task ${taskId}) ended without a final status`);
  const result = await taskResult(dir, taskId);
  const judged = verdict(result);
  const junk = junkPaths(dir, taskId);
  const problem = judged.problem ?? (junk.length > 0 ? `junk paths in the workspace of ${taskId}: ${junk.join(', ')}` : null);
  const outcome: Outcome = {
    agent, kind, status: judged.status, reason: judged.reason, ms,
    toolCalls: progress.filter((p) => p.kind === 'tool-call').length, deltas: progress.filter((p) => p.kind === 'delta').length, files: result.files,
  };
  return { outcome, result, progress, problem };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const PLAIN = 'Explain what an API is in one sentence.';
const STREAM = 'What is JSON?';
const TOOL = 'Create a file notes.txt containing hello world.';

const maybe = present ? describe : describe.skip;

maybe('the six built-in agents against a real llama.cpp server', () => {
  let dir = '';

  beforeAll(async () => {
    modelUrl = await startServer();
    const models = (await (await fetch(`${modelUrl}/models`)).json()) as { data?: Array<{ id: string }> };
    say(`model server ${modelUrl}, serving ${models.data?.map((m) => m.id).join(', ')}`);
    dir = repoFleetOnFreePorts();
    // As a user points the fleet at a local llama.cpp server: .env beside agents.yaml.
    fs.writeFileSync(path.join(dir, '.env'), `OPENAI_BASE_URL=${modelUrl}\n`);
    const up = await cli(dir, ['up', '-d'], 120_000);
    if (up.exitCode !== 0) throw new Error(`lightning up -d failed (${up.exitCode}): ${up.stderr}`);
  }, 50 * 60_000);

  afterAll(async () => {
    if (dir) {
      await cli(dir, ['down'], 30_000);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  for (const agent of AGENTS) {
    it(`${agent}: a plain task, a streaming task and a tool task each end by the protocol or with a clear reason`, async () => {
      const problems: string[] = [];
      const plain = await runTask(dir, agent, PLAIN, 'plain');
      outcomes.push(plain.outcome);
      if (plain.problem) problems.push(plain.problem);

      const stream = await streamTask(dir, agent, STREAM, 'stream');
      outcomes.push(stream.outcome);
      if (stream.problem) problems.push(stream.problem);
      // A completed answer came in pieces: the deltas, joined, are the answer.
      if (stream.outcome.status === 'completed') {
        const streamed = stream.progress.filter((p) => p.kind === 'delta').map((p) => (p.kind === 'delta' ? p.text : '')).join('');
        if (!stream.result.output || !streamed.includes(stream.result.output.trim().slice(0, 20))) {
          problems.push(`stream task ${stream.result.id}: the streamed deltas (${JSON.stringify(streamed.slice(0, 80))}) are not the answer (${JSON.stringify(stream.result.output?.slice(0, 80))})`);
        }
      }

      const tool = await streamTask(dir, agent, TOOL, 'tool');
      outcomes.push(tool.outcome);
      if (tool.problem) problems.push(tool.problem);
      // Every call the model made got a result back (the loop went on), and files named are files there.
      const calls = tool.progress.filter((p) => p.kind === 'tool-call').length;
      const results = tool.progress.filter((p) => p.kind === 'tool-result').length;
      if (calls !== results) problems.push(`tool task ${tool.result.id}: ${calls} tool calls but ${results} results`);
      for (const file of tool.result.files) {
        if (!fs.existsSync(path.join(dir, '.lightning/workspaces', tool.result.id, file))) problems.push(`tool task ${tool.result.id}: reports ${file}, not in its workspace`);
      }
      for (const each of [plain.outcome, stream.outcome, tool.outcome]) {
        say(`${agent} ${each.kind}: ${each.status}${each.reason ? ` (${each.reason.slice(0, 160)})` : ''}, ${Math.round(each.ms)} ms${each.kind !== 'plain' ? `, ${each.deltas} deltas, ${each.toolCalls} tool calls` : ''}${each.files.length ? `, wrote ${each.files.join(', ')}` : ''}`);
      }
      expect(problems).toEqual([]);
    }, 3 * HANG_MS + 30_000);
  }

  it('provider failover: the primary answers HTTP 500 for 10 s, tasks complete on the real server, the primary is used again after', async () => {
    // The primary: a local endpoint that answers 500 while the outage lasts, then passes requests to the real server.
    const real = new URL(modelUrl);
    let outageUntil = 0;
    let refused = 0;
    let forwarded = 0;
    let forwardedAfterOutage = 0;
    const primary = http.createServer((req, res) => {
      if (Date.now() < outageUntil) {
        refused++;
        req.resume();
        res.writeHead(500, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: { message: 'primary is down (test outage)', type: 'server_error', code: 500 } }));
      }
      forwarded++;
      if (outageUntil > 0) forwardedAfterOutage++;
      const upstream = http.request({ host: real.hostname, port: real.port, method: req.method, path: `${real.pathname.replace(/\/v1$/, '')}${req.url}`, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', (error) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `proxy: ${error.message}` } }));
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => primary.listen(0, '127.0.0.1', resolve));
    const primaryUrl = `http://127.0.0.1:${(primary.address() as net.AddressInfo).port}/v1`;

    // The repository's agents.yaml, its provider made an ordered list: the primary, then the real server.
    const failoverDir = repoFleetOnFreePorts();
    const yamlPath = path.join(failoverDir, 'agents.yaml');
    const yaml = fs.readFileSync(yamlPath, 'utf8');
    const providerLine = /^ {2}provider: \{ baseURL: null, apiKeyEnv: OPENAI_API_KEY \}$/m;
    expect(yaml).toMatch(providerLine);
    fs.writeFileSync(yamlPath, yaml.replace(providerLine, `  provider:\n    - { baseURL: ${primaryUrl} }\n    - { baseURL: ${modelUrl} }`));
    try {
      const up = await cli(failoverDir, ['up', '-d'], 120_000);
      if (up.exitCode !== 0) throw new Error(`lightning up -d failed (${up.exitCode}): ${up.stderr}`);
      const problems: string[] = [];
      const OUTAGE_MS = 10_000;
      outageUntil = Date.now() + OUTAGE_MS;
      // Under load: every agent streams tasks while the primary is down.
      let failoverEvents = 0;
      await Promise.all(AGENTS.map(async (agent) => {
        let round = 0;
        while (Date.now() < outageUntil) {
          const task = await streamTask(failoverDir, agent, `${PLAIN} (${++round})`, 'failover');
          outcomes.push(task.outcome);
          if (task.problem) problems.push(task.problem);
          failoverEvents += task.progress.filter((p) => p.kind === 'failover').length;
          // The outage must never reach a task: the real server was there to answer.
          if (task.outcome.status === 'failed' && /primary is down|HTTP 5\d\d/.test(task.outcome.reason ?? '')) {
            const moves = task.progress.flatMap((p) => (p.kind === 'failover' ? [`${p.from} → ${p.to}: ${p.reason}`] : []));
            problems.push(`task ${task.result.id} failed on the outage: ${task.outcome.reason} (failovers: ${moves.join('; ') || 'none'})`);
          }
        }
      }));
      const duringOutage = outcomes.filter((o) => o.kind === 'failover');
      say(`failover: ${duringOutage.length} tasks during a ${OUTAGE_MS / 1000} s outage, ${duringOutage.filter((o) => o.status === 'completed').length} completed, ` +
        `${refused} calls refused by the primary, ${failoverEvents} failover events`);
      // The cooldown (5 s) ends; the next calls try the primary again and it answers.
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      for (const agent of AGENTS) {
        const task = await streamTask(failoverDir, agent, PLAIN, 'after-outage');
        outcomes.push(task.outcome);
        if (task.problem) problems.push(task.problem);
      }
      say(`after the outage: ${forwardedAfterOutage} calls answered through the primary again`);
      notes.push(`failover: ${duringOutage.length} tasks during the outage (${refused} calls refused by the primary, ${failoverEvents} failovers); ${forwardedAfterOutage} calls through the primary after it`);
      expect(problems).toEqual([]);
      expect(refused).toBeGreaterThan(0);
      expect(failoverEvents).toBeGreaterThan(0);
      expect(duringOutage.filter((o) => o.status === 'completed').length).toBeGreaterThan(0);
      expect(forwardedAfterOutage).toBeGreaterThan(0);
      expect(forwarded).toBeGreaterThanOrEqual(forwardedAfterOutage);
    } finally {
      await cli(failoverDir, ['down'], 30_000);
      fs.rmSync(failoverDir, { recursive: true, force: true });
      primary.closeAllConnections();
      await new Promise((resolve) => primary.close(resolve));
    }
  }, 5 * 60_000);
});

afterAll(() => {
  if (startedPid !== null) {
    try {
      process.kill(startedPid);
    } catch { /* already gone */ }
  }
  if (outcomes.length === 0) return;
  const kinds: Outcome['kind'][] = ['plain', 'stream', 'tool', 'failover', 'after-outage'];
  const rows = kinds.map((kind) => {
    const of = outcomes.filter((o) => o.kind === kind);
    const completed = of.filter((o) => o.status === 'completed').length;
    return `  ${kind.padEnd(13)} ${String(of.length).padStart(5)} ${String(completed).padStart(10)} ${String(of.length - completed).padStart(15)} ${(of.some((o) => o.toolCalls !== null) ? String(of.reduce((n, o) => n + (o.toolCalls ?? 0), 0)) : '–').padStart(11)} ${String(Math.round(percentile(of.map((o) => o.ms), 50))).padStart(9)} ms`;
  });
  const all = outcomes;
  const failures = [...new Set(all.filter((o) => o.status === 'failed').map((o) => o.reason!.replace(/task-\S+|\d+/g, '#').slice(0, 140)))];
  process.stdout.write([
    '',
    `real-model figures (llama-server at ${modelUrl}, the six built-in agents of agents.yaml):`,
    `  kind          tasks  completed  failed cleanly  tool calls  latency p50`,
    ...rows,
    `  all           ${String(all.length).padStart(5)} ${String(all.filter((o) => o.status === 'completed').length).padStart(10)} ${String(all.filter((o) => o.status === 'failed').length).padStart(15)} ${String(all.reduce((n, o) => n + (o.toolCalls ?? 0), 0)).padStart(11)} ${String(Math.round(percentile(all.map((o) => o.ms), 50))).padStart(9)} ms`,
    ...notes.map((note) => `  ${note}`),
    ...(failures.length ? ['  clean failures, by reason:', ...failures.map((reason) => `    - ${reason}`)] : []),
    '',
  ].join('\n') + '\n');
});
