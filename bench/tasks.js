// Tasks through the supervisor with an instant model: routing overhead vs calling the worker
// directly, throughput, 10,000 tasks in flight, and `lightning tasks` over a 100,000-task ledger.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { startInstantModel } from './instant-model.js';
import { generateLedger } from './ledger.js';
import { ROOT, lightning, median, summary, supervisorInfo } from './lib.js';

const CONCURRENCY = 100;
const LATENCY_TASKS = 2000;
const THROUGHPUT_TASKS = 5000;
const IN_FLIGHT = 10_000;

function project(modelUrl) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-bench-'));
  cpSync(path.join(ROOT, 'templates'), path.join(dir, 'templates'), { recursive: true });
  writeFileSync(
    path.join(dir, 'agents.yaml'),
    `version: 1
supervisor: { port: 0 }
defaults:
  provider: { baseURL: "${modelUrl}" }
agents:
  general_assistant:
    port: 0
    instances: 2
    capacity: 256
    description: writing and translation
    capabilities: [writing, translation]
    prompt: templates/prompts/general_assistant.md
    fallback: true
`,
  );
  return dir;
}

/** Runs `count` calls of `call`, `concurrency` at a time; returns each call's latency in ms. */
async function load(count, concurrency, call) {
  const latencies = [];
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const n = next++;
      const started = performance.now();
      await call(n);
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return latencies;
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function run() {
  const model = await startInstantModel();
  const dir = project(model.url);
  lightning(dir, ['up', '-d']);
  const info = supervisorInfo(dir);
  const api = new Pool(info.api, { connections: 256 });
  const auth = { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' };
  const status = JSON.parse(lightning(dir, ['status', '--json']).stdout);
  const worker = status.agents[0];
  const workerPool = new Pool(`http://127.0.0.1:${worker.port}`, { connections: 256 });
  // The supervisor hands workers their token in the environment; the bench reads it the same way a
  // custom agent would not: from the running process (Linux only).
  const workerToken = (await import('node:fs')).readFileSync(`/proc/${worker.pid}/environ`, 'utf8').split('\0').find((kv) => kv.startsWith('LIGHTNING_TOKEN='))?.slice(16);

  const viaSupervisor = async (n) => {
    const response = await api.request({ path: '/v1/tasks', method: 'POST', headers: auth, body: JSON.stringify({ input: `Translate sentence ${n}`, wait: true }) });
    const task = await response.body.json();
    if (task.status !== 'completed') throw new Error(`task ${task.id} ${task.status}: ${task.error}`);
  };
  const direct = async (n) => {
    const body = { jsonrpc: '2.0', id: n, method: 'message/send', params: { message: { kind: 'message', messageId: `m${n}`, role: 'user', parts: [{ kind: 'text', text: `Translate sentence ${n}` }] } } };
    const response = await workerPool.request({ path: '/a2a/jsonrpc', method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${workerToken}` }, body: JSON.stringify(body) });
    const json = await response.body.json();
    if (json.error || json.result?.status?.state !== 'completed') throw new Error(`direct call failed: ${JSON.stringify(json).slice(0, 200)}`);
  };

  try {
    await load(300, CONCURRENCY, direct); // warm-up: JIT, connections, the worker's lazy imports
    await load(300, CONCURRENCY, viaSupervisor);
    const d = await load(LATENCY_TASKS, CONCURRENCY, direct);
    const s = await load(LATENCY_TASKS, CONCURRENCY, viaSupervisor);
    const row = (name, values) => `${name}: p50 ${percentile(values, 50).toFixed(1)} ms, p99 ${percentile(values, 99).toFixed(1)} ms`;
    console.log(`routing overhead at ${CONCURRENCY} concurrent (${LATENCY_TASKS} tasks each):`);
    console.log(`  ${row('direct to worker (A2A message/send)', d)}`);
    console.log(`  ${row('through the supervisor (POST /v1/tasks wait)', s)}`);
    console.log(`  overhead: p50 +${(percentile(s, 50) - percentile(d, 50)).toFixed(1)} ms, p99 +${(percentile(s, 99) - percentile(d, 99)).toFixed(1)} ms  [target p99 ≤ 5 ms]`);

    const started = performance.now();
    await load(THROUGHPUT_TASKS, 200, viaSupervisor);
    const seconds = (performance.now() - started) / 1000;
    const directStarted = performance.now();
    await load(THROUGHPUT_TASKS, 200, direct);
    const directSeconds = (performance.now() - directStarted) / 1000;
    console.log(`throughput, instant model, 200 concurrent: ${(THROUGHPUT_TASKS / seconds).toFixed(0)} tasks/s through the supervisor, ${(THROUGHPUT_TASKS / directSeconds).toFixed(0)} tasks/s direct  [target ≥ 1000 tasks/s]`);

    // 10,000 at once: submit without waiting, then wait until the ledger index has them all.
    const flightStarted = performance.now();
    const ids = new Set();
    await load(IN_FLIGHT, 500, async (n) => {
      const response = await api.request({ path: '/v1/tasks', method: 'POST', headers: auth, body: JSON.stringify({ input: `In flight ${n}` }) });
      ids.add((await response.body.json()).id);
    });
    let completed = 0;
    for (;;) {
      const response = await api.request({ path: `/v1/tasks?limit=10000&status=completed`, method: 'GET', headers: auth });
      const { tasks } = await response.body.json();
      completed = tasks.filter((task) => ids.has(task.id)).length;
      if (completed === IN_FLIGHT || performance.now() - flightStarted > 180_000) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    console.log(`10,000 tasks submitted at once: ${completed} completed, ${IN_FLIGHT - completed} lost, ${ids.size} distinct ids, in ${((performance.now() - flightStarted) / 1000).toFixed(1)} s`);
  } finally {
    await api.close();
    await workerPool.close();
    lightning(dir, ['down']);
    await model.close();
  }

  // `lightning tasks` with no supervisor, over a generated 100,000-task ledger.
  const ledgerDir = mkdtempSync(path.join(os.tmpdir(), 'lightning-bench-ledger-'));
  cpSync(path.join(dir, 'agents.yaml'), path.join(ledgerDir, 'agents.yaml'));
  cpSync(path.join(ROOT, 'templates'), path.join(ledgerDir, 'templates'), { recursive: true });
  mkdirSync(path.join(ledgerDir, '.lightning'));
  generateLedger(path.join(ledgerDir, '.lightning/ledger.jsonl'));
  const runs = Array.from({ length: 5 }, () => lightning(ledgerDir, ['tasks', '-n', '20']).ms);
  console.log(`lightning tasks over a 100,000-task ledger: ${summary(runs)}  [target ≤ 1000 ms]`);
  rmSync(ledgerDir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  return { tasksMs: median(runs) };
}
