// Tasks with an instant model: routing overhead and throughput through the supervisor vs calling
// the workers directly and vs a bare proxy to the same workers (bench/bare-proxy.js),
// at concurrency 1, 100 and 1,000; then 10,000 tasks in flight at once.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { startInstantModel } from './instant-model.js';
import { QUICK, ROOT, consecutiveFreePorts, cpuMs, fmt, getStatus, lightning, median, percentile, removeDir, sleep, supervisorInfo } from './lib.js';

const LEVELS = QUICK
  ? [{ concurrency: 1, tasks: 100 }, { concurrency: 100, tasks: 600 }, { concurrency: 1000, tasks: 1500 }]
  : [{ concurrency: 1, tasks: 300 }, { concurrency: 100, tasks: 2000 }, { concurrency: 1000, tasks: 3000 }];
const REPS = QUICK ? 1 : 3;
/** Tasks each way before measuring (see run()). */
const WARM_UP = QUICK ? 300 : 3000;
const IN_FLIGHT = 10_000;
const INSTANCES = 2;
const CAPACITY = 256;
/**
 * A worker with 256 tasks in flight on a shared core can take longer than the default 500 ms to
 * answer /health; three misses would restart it mid-measurement. The default capacity is 8.
 */
const HEALTH_TIMEOUT = '2s';

function project(modelUrl, port) {
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
    port: ${port}
    instances: ${INSTANCES}
    capacity: ${CAPACITY}
    health: { timeout: ${HEALTH_TIMEOUT} }
    description: writing and translation
    capabilities: [writing, translation]
    prompt: templates/prompts/general_assistant.md
    fallback: true
`,
  );
  return dir;
}

/**
 * Runs `count` calls of `call`, `concurrency` at a time: each successful call's latency (ms), the
 * failures (counted and the first one kept, not thrown: a saturated machine is a finding), wall time.
 */
async function load(count, concurrency, call) {
  const latencies = [];
  let failures = 0;
  let firstError = null;
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const n = next++;
      const started = performance.now();
      try {
        await call(n);
        latencies.push(performance.now() - started);
      } catch (error) {
        failures += 1;
        firstError ??= error;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, lane));
  if (firstError) console.log(`  ${failures} of ${count} calls failed; the first: ${firstError.message}`);
  return { latencies, failures, wallMs: performance.now() - started };
}

/** bench/bare-proxy.js in a process of its own (its CPU is measured like the supervisor's), in front of the workers at `ports`. */
async function startBareProxy(ledgerFile, workerToken, ports) {
  const child = spawn(process.execPath, [path.join(ROOT, 'bench/bare-proxy.js'), ledgerFile, workerToken, ...ports.map(String)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bench/bare-proxy.js exited ${code} before listening`)));
    child.stdout.once('data', (chunk) => resolve(Number(String(chunk).trim())));
  });
  child.removeAllListeners('exit');
  return { pid: child.pid, url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

export async function run() {
  const model = await startInstantModel();
  // Fixed ports (not 0), so the direct pools still reach a worker that was restarted.
  const dir = project(model.url, (await consecutiveFreePorts(INSTANCES))[0]);
  lightning(dir, ['up', '-d']);
  const info = supervisorInfo(dir);
  const api = new Pool(info.api, { connections: 1000 });
  const auth = { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' };
  const { agents: workers } = JSON.parse(lightning(dir, ['status', '--json']).stdout);
  // Direct calls go to the same two workers, round robin, never more in flight than their capacity.
  const workerPools = workers.map((worker) => new Pool(`http://127.0.0.1:${worker.port}`, { connections: CAPACITY }));
  // The supervisor hands workers their token in the environment; read it from /proc (Linux).
  const workerToken = readFileSync(`/proc/${workers[0].pid}/environ`, 'utf8').split('\0').find((kv) => kv.startsWith('LIGHTNING_TOKEN='))?.slice(16);
  const bare = await startBareProxy(path.join(dir, 'bare-proxy-ledger.jsonl'), workerToken, workers.map((worker) => worker.port));
  const bareApi = new Pool(bare.url, { connections: 1000 });
  const pids = { supervisor: info.pid, bareProxy: bare.pid, bench: process.pid };

  const viaSupervisor = async (n) => {
    const response = await api.request({ path: '/v1/tasks', method: 'POST', headers: auth, body: JSON.stringify({ input: `Translate sentence ${n}`, wait: true }) });
    const task = await response.body.json();
    if (task.status !== 'completed') throw new Error(`task ${task.id} ${task.status}: ${task.error ?? task.message}`);
  };
  const viaBareProxy = async (n) => {
    const response = await bareApi.request({ path: '/v1/tasks', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ input: `Translate sentence ${n}` }) });
    const task = await response.body.json();
    if (task.status !== 'completed') throw new Error(`the bare proxy's task ${task.id} ${task.status}: ${task.error}`);
  };
  const direct = async (n) => {
    const body = { jsonrpc: '2.0', id: n, method: 'message/send', params: { message: { kind: 'message', messageId: `m${n}-${Math.random()}`, role: 'user', parts: [{ kind: 'text', text: `Translate sentence ${n}` }] } } };
    const pool = workerPools[n % workerPools.length];
    const response = await pool.request({ path: '/a2a/jsonrpc', method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${workerToken}` }, body: JSON.stringify(body) });
    const json = await response.body.json();
    if (json.error || json.result?.status?.state !== 'completed') throw new Error(`direct call failed: ${JSON.stringify(json).slice(0, 200)}`);
  };
  /** One measured run, with the CPU each process spent per task (`proxyCpu`: the process between, when `between` names it). */
  const measure = async (count, concurrency, call, between = null) => {
    const workerPids = (await getStatus(info)).agents.map((agent) => agent.pid);
    const before = { proxy: between ? cpuMs(pids[between]) : Number.NaN, workers: workerPids.map(cpuMs), bench: cpuMs(pids.bench) };
    const { latencies, failures, wallMs } = await load(count, concurrency, call);
    const perTask = (now, then) => (now - then) / count;
    return {
      failures,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      rate: ((count - failures) / wallMs) * 1000,
      proxyCpu: between ? perTask(cpuMs(pids[between]), before.proxy) : Number.NaN,
      workerCpu: perTask(workerPids.map(cpuMs).reduce((a, b) => a + b, 0), before.workers.reduce((a, b) => a + b, 0)),
      benchCpu: perTask(cpuMs(pids.bench), before.bench),
    };
  };

  const levels = [];
  let flight;
  let restarts = 0;
  try {
    // Warm-up: connections, the workers' lazy imports, and V8's optimising compiler, which runs on
    // background threads that count in a process's CPU: over the first few thousand tasks it was
    // 0.6–0.9 ms of the supervisor's CPU per task (profiled), a start-up cost, not the per-task one.
    await load(WARM_UP, 100, direct);
    await load(WARM_UP, 100, viaSupervisor);
    await load(WARM_UP, 100, viaBareProxy);
    for (const { concurrency, tasks } of LEVELS) {
      const runs = { direct: [], supervisor: [], bareProxy: [] };
      for (let rep = 0; rep < REPS; rep += 1) {
        runs.direct.push(await measure(tasks, concurrency, direct));
        runs.supervisor.push(await measure(tasks, concurrency, viaSupervisor, 'supervisor'));
        runs.bareProxy.push(await measure(tasks, concurrency, viaBareProxy, 'bareProxy'));
      }
      const pick = (side, key) => runs[side].map((r) => r[key]).filter(Number.isFinite);
      const overhead = (key, side = 'supervisor') => runs[side].map((r, i) => r[key] - runs.direct[i][key]);
      levels.push({ concurrency, tasks, runs, overheadP50: overhead('p50'), overheadP99: overhead('p99'), bareProxyOverheadP50: overhead('p50', 'bareProxy') });
      console.log(
        `concurrency ${concurrency} (${tasks} tasks × ${REPS}): direct p50 ${fmt(median(pick('direct', 'p50')))} ms p99 ${fmt(median(pick('direct', 'p99')))} ms ${fmt(median(pick('direct', 'rate')))} tasks/s; ` +
          `supervisor p50 ${fmt(median(pick('supervisor', 'p50')))} ms p99 ${fmt(median(pick('supervisor', 'p99')))} ms ${fmt(median(pick('supervisor', 'rate')))} tasks/s; ` +
          `overhead p50 ${signed(median(overhead('p50')))} ms p99 ${signed(median(overhead('p99')))} ms; supervisor CPU ${fmt(median(pick('supervisor', 'proxyCpu')))} ms/task; ` +
          `bare proxy p50 ${fmt(median(pick('bareProxy', 'p50')))} ms ${fmt(median(pick('bareProxy', 'rate')))} tasks/s, overhead p50 ${signed(median(overhead('p50', 'bareProxy')))} ms, CPU ${fmt(median(pick('bareProxy', 'proxyCpu')))} ms/task`,
      );
    }
    flight = await inFlight(api, auth);
    const after = JSON.parse(lightning(dir, ['status', '--json']).stdout);
    restarts = after.agents.reduce((sum, agent) => sum + agent.restarts, 0);
    if (restarts) console.log(`  workers restarted during the run: ${restarts} (health probes missed under saturation)`);
  } finally {
    await api.close();
    await bareApi.close();
    bare.stop();
    await Promise.all(workerPools.map((pool) => pool.close()));
    lightning(dir, ['down']);
    await model.close();
    removeDir(dir);
  }
  return sections(levels, flight, restarts);
}

/** Where the supervisor's time per task goes, profiled once (node --cpu-prof) while writing this bench. */
const PROFILE =
  'A CPU profile of the supervisor (node --cpu-prof, bench/profile.js, after the attempts nobody follows became one message/send) split its busy time: ~30 % HTTP (undici to the worker, ' +
  'the control API\'s server and JSON), ~15 % ledger (records serialised, the durable write), ~11 % routing (matching, the learned policy deciding and learning), ~7 % garbage collection, ' +
  '~3 % the worker\'s log lines; the rest spread thin. A `wait: true` answer also waits for its records\' durable write (~0.4 ms on this disk), which the ledger contract requires'

const signed = (value) => (value >= 0 ? `+${fmt(value)}` : `−${fmt(-value)}`);

/** 10,000 submitted at once (no wait), then every one followed until it is completed in the ledger. */
async function inFlight(api, auth) {
  const started = performance.now();
  const ids = new Set();
  let submitted = 0;
  await load(IN_FLIGHT, 500, async (n) => {
    const response = await api.request({ path: '/v1/tasks', method: 'POST', headers: auth, body: JSON.stringify({ input: `In flight ${n}` }) });
    const body = await response.body.json();
    if (response.statusCode === 202) submitted += 1;
    ids.add(body.id);
  });
  const submitMs = performance.now() - started;
  let completed = 0;
  for (;;) {
    const response = await api.request({ path: `/v1/tasks?limit=${IN_FLIGHT}&status=completed`, method: 'GET', headers: auth });
    const { tasks } = await response.body.json();
    completed = tasks.filter((task) => ids.has(task.id)).length;
    if (completed === IN_FLIGHT || performance.now() - started > 180_000) break;
    await sleep(250);
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`10,000 tasks submitted at once: ${submitted} accepted, ${completed} completed, ${IN_FLIGHT - completed} lost, ${ids.size} distinct ids; all submitted in ${(submitMs / 1000).toFixed(1)} s, all completed in ${seconds.toFixed(1)} s`);
  return { submitted, completed, lost: IN_FLIGHT - completed, distinct: ids.size, submitS: submitMs / 1000, seconds };
}

function sections(levels, flight, restarts) {
  const rows = [];
  const comparisons = [];
  for (const level of levels) {
    const c = level.concurrency.toLocaleString('en-US');
    const pick = (side, key) => level.runs[side].map((r) => r[key]).filter(Number.isFinite);
    const cpu = (key, side = 'supervisor') => fmt(median(pick(side, key)));
    rows.push(
      { key: `direct${level.concurrency}`, label: `c=${c}: direct to the workers, tasks/s`, unit: 'tasks/s', runs: pick('direct', 'rate') },
      { key: `supervisor${level.concurrency}`, label: `c=${c}: through the supervisor, tasks/s`, unit: 'tasks/s', runs: pick('supervisor', 'rate') },
      { key: `directP50_${level.concurrency}`, label: `c=${c}: direct, p50 latency`, unit: 'ms', runs: pick('direct', 'p50') },
      { key: `supervisorP50_${level.concurrency}`, label: `c=${c}: through the supervisor, p50 latency`, unit: 'ms', runs: pick('supervisor', 'p50') },
      { key: `directP99_${level.concurrency}`, label: `c=${c}: direct, p99 latency`, unit: 'ms', runs: pick('direct', 'p99') },
      { key: `supervisorP99_${level.concurrency}`, label: `c=${c}: through the supervisor, p99 latency`, unit: 'ms', runs: pick('supervisor', 'p99') },
      { key: `overheadP50_${level.concurrency}`, label: `c=${c}: routing overhead at p50 (same rep)`, unit: 'ms', runs: level.overheadP50 },
      { key: `overheadP99_${level.concurrency}`, label: `c=${c}: routing overhead at p99 (same rep)`, unit: 'ms', runs: level.overheadP99 },
      { key: `supervisorCpu${level.concurrency}`, label: `c=${c}: supervisor CPU per task`, unit: 'ms', runs: pick('supervisor', 'proxyCpu') },
      { key: `bareProxy${level.concurrency}`, label: `c=${c}: through the bare proxy, tasks/s`, unit: 'tasks/s', runs: pick('bareProxy', 'rate') },
      { key: `bareProxyP50_${level.concurrency}`, label: `c=${c}: through the bare proxy, p50 latency`, unit: 'ms', runs: pick('bareProxy', 'p50') },
      { key: `bareProxyOverheadP50_${level.concurrency}`, label: `c=${c}: the bare proxy's overhead at p50 (same rep)`, unit: 'ms', runs: level.bareProxyOverheadP50 },
      { key: `bareProxyCpu${level.concurrency}`, label: `c=${c}: the bare proxy's CPU per task`, unit: 'ms', runs: pick('bareProxy', 'proxyCpu') },
    );
    const cpuSplit =
      `the supervisor used ${cpu('proxyCpu')} ms of CPU per task here (workers ${cpu('workerCpu')} ms, load generator and model ${cpu('benchCpu')} ms), a bare proxy to the same workers (bench/bare-proxy.js) ${cpu('proxyCpu', 'bareProxy')} ms. ` +
      (level.concurrency === 1 ? PROFILE : 'Where that time goes: see the profile under "Latency p50, one task at a time"');
    if (level.concurrency === 1) {
      comparisons.push({
        figure: 'Latency p50, one task at a time', subject: `supervisorP50_${level.concurrency}`, peer: `directP50_${level.concurrency}`, peerName: 'direct to the workers', headline: true,
        why: `each task takes one more HTTP hop and the supervisor's work is all on the critical path: ${cpuSplit}`,
      });
    } else {
      comparisons.push({
        figure: `Throughput at concurrency ${c}`, subject: `supervisor${level.concurrency}`, peer: `direct${level.concurrency}`, peerName: 'direct to the workers', better: 'higher', headline: true,
        why: `with the 2 cores saturated, the supervisor's CPU comes straight off the throughput: ${cpuSplit}`,
      });
    }
    comparisons.push({
      figure: `Supervisor CPU per task at concurrency ${c}`, subject: `supervisorCpu${level.concurrency}`, peer: `bareProxyCpu${level.concurrency}`, peerName: 'a bare proxy to the same workers, bench/bare-proxy.js',
      why: 'the bare proxy only forwards the task and writes one durable line; the supervisor also routes it (matching, the learned policy deciding and learning), records four ledger events, keeps the task index, events and metrics, and redacts what leaves',
    });
  }
  const failures = (side) => levels.flatMap((level) => level.runs[side].map((r) => r.failures));
  rows.push(
    { key: 'failedDirect', label: 'failed calls, direct (each level and repetition)', unit: 'calls', runs: failures('direct') },
    { key: 'failedSupervisor', label: 'failed tasks, through the supervisor (each level and repetition)', unit: 'tasks', runs: failures('supervisor') },
    { key: 'restarts', label: 'worker restarts during the whole run', unit: 'restarts', runs: [restarts] },
  );
  return [
    {
      id: 'routing',
      title: 'Routing overhead and throughput: supervisor vs direct',
      method:
        `An instant OpenAI-compatible model (bench/instant-model.js, in the bench process), general_assistant × ${INSTANCES} instances (capacity ${CAPACITY} each, health timeout ${HEALTH_TIMEOUT} instead of 500 ms so a saturated worker is not restarted mid-run). ` +
        `"Direct" = A2A \`message/send\` to the two workers round robin (undici Pool, ≤ ${CAPACITY} connections each); "through the supervisor" = \`POST /v1/tasks\` with \`wait: true\`; ` +
        `"the bare proxy" = the same POST to bench/bare-proxy.js, a bare Node HTTP server that sends each task on as one \`message/send\` to the same workers over an undici Pool, appends the task's end to a file durably (O_DSYNC, group-committed) and answers with the outcome (no routing, other records, index, metrics or redaction): a minimal Node supervisor keeping lightning's contract (a task's end on disk before its answer). ` +
        `Each level runs ${REPS}× (direct, supervisor, bare proxy, interleaved) after a warm-up of ${WARM_UP.toLocaleString('en-US')} tasks each (V8 compiles the hot code on background threads, which count in the CPU figures, over the first few thousand); overhead = supervisor (or bare proxy) − direct within the same repetition. ` +
        'CPU per task from /proc/<pid>/stat. Everything (load generator, model, supervisor, workers) shares the same 2 cores.',
      rows,
      comparisons,
    },
    {
      id: 'in-flight',
      title: '10,000 tasks in flight',
      method: '10,000 `POST /v1/tasks` without waiting, 500 at a time, through the supervisor to the same two workers; then `GET /v1/tasks?status=completed` until all are completed (limit 180 s).',
      rows: [
        { key: 'accepted', label: 'accepted (202)', unit: 'tasks', runs: [flight.submitted] },
        { key: 'completed', label: 'completed', unit: 'tasks', runs: [flight.completed] },
        { key: 'lost', label: 'lost', unit: 'tasks', runs: [flight.lost] },
        { key: 'distinct', label: 'distinct task ids', unit: 'ids', runs: [flight.distinct] },
        { key: 'submitS', label: 'time to submit all', unit: 's', runs: [flight.submitS] },
        { key: 'seconds', label: 'time until all completed', unit: 's', runs: [flight.seconds] },
      ],
      comparisons: [],
    },
  ];
}
