// Chaos on the fleet as shipped: the repository's agents.yaml with its defaults (one instance per
// agent, default restart and task policies). Only the model endpoint is ours, and the ports are
// rewritten to free ones. Beside the six runs one custom agent that exits 1 at start, every time.
// In one fleet, one after the other or side by side:
//   1. `tasks` tasks at `concurrency` while a random healthy worker is SIGKILLed every `killEveryMs`
//   2. the same worker killed 12 times, healthy between kills: each kill comes once it has been
//      healthy (up and serving) for `sameWorkerHealthyMs`, as an OOM killer or a monkey would find it
//   3. an agent held back by backoff for more than 10 s (killed at start until its backoff is long):
//      tasks sent to it wait and complete
//   4. the crash-looping agent: held back (a handful of restarts a minute), ends `failed` with its
//      exit code, and the six are unaffected
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { auditLedger, readLedger } from './ledger.js';
import { ROOT, bar, controlApi, down, lightning, makeProject, pct, percentile, runLoad, sleep, supervisorInfo, waitFor, watchAgentStates } from './lib.js';
import { startChaosModel } from './model.js';

const CRASH_LOOPER = 'crash_looper';
const SAME_WORKER = 'web_developer';
const HELD_BACK = 'qa_tester';

/** The repository's agents.yaml, ports rewritten to 0 and the model endpoint set to `modelUrl`. */
export function shippedFleetYaml(modelUrl, extraAgents = '') {
  const text = readFileSync(path.join(ROOT, 'agents.yaml'), 'utf8');
  const provider = /provider: \{ baseURL: null,/;
  if (!provider.test(text)) throw new Error('agents.yaml no longer has `provider: { baseURL: null, … }` in its defaults: update chaos/shipped-fleet.js');
  return `${text.replace(/port: \d+/g, 'port: 0').replace(provider, `provider: { baseURL: "${modelUrl}",`).trimEnd()}\n${extraAgents}`;
}

/** The six agents' own examples, round-robin: the load reaches every agent as a user's would. */
function shippedExamples() {
  const text = readFileSync(path.join(ROOT, 'agents.yaml'), 'utf8');
  return [...text.matchAll(/^\s+- "(.+)"$/gm)].map((match) => match[1]);
}

const crashLooperYaml = `  ${CRASH_LOOPER}:
    port: 0
    description: A custom agent that exits 1 at start, every time
    capabilities: [crash-loop]
    command: ["${process.execPath}", "-e", "console.error('${CRASH_LOOPER}: exiting 1 at start on purpose'); process.exit(1)"]
`;

export async function shippedFleet({ tasks = 1000, concurrency = 50, killEveryMs = 500, modelDelayMs = 30, sameWorkerKills = 12, sameWorkerHealthyMs = 1500, heldBackTasks = 5, log = () => undefined } = {}) {
  const model = await startChaosModel({ delayMs: modelDelayMs });
  const dir = makeProject(shippedFleetYaml(model.url, crashLooperYaml));
  const examples = shippedExamples();
  let api = null;
  let watcher = null;
  try {
    const upAt = Date.now();
    const started = await lightning(dir, ['up', '-d']);
    // `up -d` reports the crash looper (exit 1); anything else failing to come up is a real failure.
    const six = (name) => name !== CRASH_LOOPER;
    const info = supervisorInfo(dir);
    api = controlApi(info, concurrency + 16);
    watcher = watchAgentStates(info);
    const first = await api.status();
    const sixAgents = first.agents.filter((agent) => six(agent.name));
    if (sixAgents.length !== 6 || !sixAgents.every((agent) => agent.state === 'healthy')) {
      throw new Error(`the six did not come up healthy (up -d exit ${started.code}): ${started.stderr}`);
    }
    log(`fleet as shipped up: 6 agents + ${CRASH_LOOPER}; ${tasks} tasks at concurrency ${concurrency}, a random healthy worker SIGKILLed every ${killEveryMs} ms`);

    // 1. Load with random kills.
    const kills = [];
    let loading = true;
    const killer = (async () => {
      for (;;) {
        await sleep(killEveryMs);
        if (!loading) return;
        const healthy = (await api.status()).agents.filter((agent) => six(agent.name) && agent.state === 'healthy' && agent.pid !== null);
        const victim = healthy[Math.floor(Math.random() * healthy.length)];
        if (!victim) continue;
        try {
          process.kill(victim.pid, 'SIGKILL');
          kills.push({ at: Date.now(), id: `${victim.name}#${victim.instance}` });
        } catch {
          // it died on its own meanwhile
        }
      }
    })();
    const loadStarted = Date.now();
    const results = await runLoad(api, { total: tasks, concurrency, input: (n) => examples[n % examples.length] });
    const loadMs = Date.now() - loadStarted;
    loading = false;
    await killer;
    log(`load done in ${(loadMs / 1000).toFixed(1)} s with ${kills.length} kills; now ${sameWorkerKills} kills of ${SAME_WORKER} and ${HELD_BACK} held back by backoff`);

    // 2 and 3, side by side.
    const sameWorker = killSameWorker(api, SAME_WORKER, sameWorkerKills, sameWorkerHealthyMs);
    const heldBack = holdBack(api, HELD_BACK, heldBackTasks, examples.find((text) => /test/i.test(text)) ?? 'Write unit tests for the login form');
    const [same, held] = await Promise.all([sameWorker, heldBack]);

    // 4. The crash looper ends failed (six crash-loop restarts take ~31 s of backoff).
    const looper = await waitFor(`${CRASH_LOOPER} failed`, async () => (await api.status()).agents.find((agent) => agent.name === CRASH_LOOPER && agent.state === 'failed'), 90_000, 100).catch(() => null);
    const looperNow = (await api.status()).agents.find((agent) => agent.name === CRASH_LOOPER);
    const looperFailedAt = watcher.changes.find((change) => change.id === `${CRASH_LOOPER}#0` && change.state === 'failed')?.at ?? null;
    const sixHealthy = async () => (await api.status()).agents.filter((agent) => six(agent.name)).every((agent) => agent.state === 'healthy');
    // Healthy, and still so a second later (a kill just sent may not show yet).
    const allHealthy = await waitFor('the six healthy', sixHealthy, 20_000).then(async () => (await sleep(1000), sixHealthy()), () => false);
    const end = await api.status();
    const sixFailed = watcher.changes.filter((change) => !change.id.startsWith(`${CRASH_LOOPER}#`) && change.state === 'failed');

    const ledger = readLedger(dir);
    const audit = auditLedger(ledger.events);
    const loadIds = new Set(results.map((result) => result.id).filter(Boolean));
    const loadTasks = audit.tasks.filter((task) => loadIds.has(task.id));
    const completed = loadTasks.filter((task) => task.terminal.length === 1 && task.terminal[0] === 'task.completed').length;
    const lost = results.filter((result) => result.status === 'completed' && audit.tasks.find((task) => task.id === result.id)?.terminal[0] !== 'task.completed').length + (tasks - loadTasks.length);
    const completedPct = pct(completed, tasks);
    const latencies = results.map((result) => result.ended - result.started);
    const restarts = end.agents.filter((agent) => six(agent.name)).reduce((sum, agent) => sum + agent.restarts, 0);
    const failures = results.filter((result) => result.status !== 'completed').map((result) => `${result.status ?? `HTTP ${result.http}`}: ${result.error}`);

    return {
      name: 'the fleet as shipped (agents.yaml, default policies) under kills, beside a crash-looping agent',
      figures: {
        tasks,
        concurrency,
        'wall time of the load': `${(loadMs / 1000).toFixed(1)} s (${((tasks * 1000) / loadMs).toFixed(0)} tasks/s)`,
        'random kills during the load': kills.length,
        'completed in the ledger': `${completed}/${tasks} (${completedPct.toFixed(2)} %)`,
        'latency p50 / p99 (ms)': `${percentile(latencies, 50)} / ${percentile(latencies, 99)}`,
        'restarts of the six': restarts,
        [`${SAME_WORKER} killed healthy`]: `${same.kills} times, states seen: ${[...same.states].join(', ')}`,
        [`${HELD_BACK} held back`]: held.detail,
        [`${CRASH_LOOPER}`]: `${looperNow?.state}, ${looperNow?.restarts} restarts${looperFailedAt ? `, failed ${((looperFailedAt - upAt) / 1000).toFixed(1)} s after up` : ''}: ${looperNow?.reason ?? looperNow?.lastExit}`,
        ...(failures.length ? { 'first failures': failures.slice(0, 3).join(' | ') } : {}),
      },
      bars: [
        bar('workers were killed during the load', kills.length >= 1, `${kills.length} kill(s)`),
        bar('≥ 99.5 % of the load completed', completedPct >= 99.5, `${completedPct.toFixed(2)} %`),
        bar('0 lost (every task in the ledger, every completed answer completed there)', lost === 0 && audit.unfinished.length === 0, `${lost} lost, ${audit.unfinished.length} unfinished`),
        bar('0 completed twice, no task ended twice', audit.completedTwice.length === 0 && audit.duplicated.length === 0, `${audit.completedTwice.length} completed twice, ${audit.duplicated.length} ended twice`),
        bar('the ledger parses', ledger.corrupt.length === 0 && !ledger.torn, `${ledger.lines} lines`),
        bar('every one of the six healthy at the end', allHealthy, end.agents.filter((agent) => six(agent.name)).map((agent) => `${agent.name} ${agent.state}`).join(', ')),
        bar('none of the six was ever failed', sixFailed.length === 0, sixFailed.map((change) => change.id).join(', ') || 'none'),
        bar(`${SAME_WORKER} killed ${sameWorkerKills} times, healthy between kills: healthy at the end, never failed`, same.kills === sameWorkerKills && !same.states.has('failed') && same.healthyAtEnd, `${same.kills} kills, ${same.healthyAtEnd ? 'healthy' : 'not healthy'} at the end`),
        bar(`${HELD_BACK}, held back by backoff > 10 s: its tasks waited and completed`, held.backoffMs > 10_000 && held.completed === heldBackTasks, held.detail),
        bar(`${CRASH_LOOPER} ends failed with its exit code`, looper !== null && /exited with code 1/.test(looper.reason ?? ''), looperNow?.reason ?? looperNow?.state ?? 'gone'),
        bar(`${CRASH_LOOPER} held back: a handful of restarts a minute at most (≤ 7)`, (looperNow?.restarts ?? 99) <= 7 && (looperFailedAt === null || looperFailedAt - upAt >= 20_000), `${looperNow?.restarts} restarts`),
      ],
    };
  } finally {
    await watcher?.close();
    await api?.close();
    await down(dir);
    await model.close();
  }
}

/** Kills `name`'s worker `count` times, each time once it has been healthy again for `healthyMs`. */
async function killSameWorker(api, name, count, healthyMs) {
  const states = new Set();
  let kills = 0;
  let last = null;
  while (kills < count) {
    const agent = await waitFor(`${name} healthy`, async () => {
      const row = (await api.status()).agents.find((candidate) => candidate.name === name);
      states.add(row.state);
      return row.state === 'healthy' && row.pid !== last ? row : null;
    }, 30_000, 20).catch(() => null);
    if (!agent) break;
    await sleep(healthyMs);
    const now = (await api.status()).agents.find((candidate) => candidate.name === name);
    states.add(now.state);
    if (now.state !== 'healthy' || now.pid !== agent.pid) continue;
    process.kill(now.pid, 'SIGKILL');
    last = now.pid;
    kills += 1;
  }
  // Healthy again as a new process: the status may still show the killed one for a moment.
  const healthyAtEnd = await waitFor(`${name} healthy at the end`, async () => {
    const row = (await api.status()).agents.find((candidate) => candidate.name === name);
    states.add(row.state);
    return row.state === 'healthy' && row.pid !== last;
  }, 20_000, 20).then(() => true, () => false);
  return { kills, states, healthyAtEnd };
}

/**
 * Kills `name`'s worker at start (before it has run minUptime) until its backoff is over 10 s, then
 * sends it `count` tasks: they must wait for it and complete.
 */
async function holdBack(api, name, count, input) {
  let backoffMs = 0;
  let earlyKills = 0;
  const killed = new Set();
  const deadline = Date.now() + 60_000;
  // The first kill finds it running; every later one finds it starting again.
  const running = await waitFor(`${name} healthy`, async () => (await api.status()).agents.find((candidate) => candidate.name === name && candidate.state === 'healthy'), 30_000, 20);
  process.kill(running.pid, 'SIGKILL');
  await sleep(50);
  while (backoffMs <= 10_000 && Date.now() < deadline) {
    const row = (await api.status()).agents.find((candidate) => candidate.name === name);
    if (row.state === 'backoff' && row.nextRestartAt) backoffMs = Math.max(backoffMs, Date.parse(row.nextRestartAt) - Date.now());
    if (row.state === 'failed') break;
    if ((row.state === 'starting' || (row.state === 'healthy' && (row.uptimeMs ?? 0) < 500)) && row.pid !== null && !killed.has(row.pid)) {
      try {
        process.kill(row.pid, 'SIGKILL');
        killed.add(row.pid);
        earlyKills += 1;
      } catch {
        // gone already
      }
    }
    await sleep(10);
  }
  const sent = Date.now();
  const answers = await Promise.all(
    Array.from({ length: count }, () => api.request('POST', '/v1/tasks', { input, agent: name, wait: true }).catch((error) => ({ status: 0, body: { error: error.message } }))),
  );
  const completed = answers.filter((answer) => answer.body?.status === 'completed').length;
  const waitedMs = Date.now() - sent;
  const errors = answers.filter((answer) => answer.body?.status !== 'completed').map((answer) => answer.body?.error ?? answer.body?.message ?? `HTTP ${answer.status}`);
  return {
    backoffMs,
    completed,
    detail: `${earlyKills} kills at start, backoff ${(backoffMs / 1000).toFixed(1)} s; ${completed}/${count} tasks completed after ${(waitedMs / 1000).toFixed(1)} s${errors.length ? ` (${errors[0]})` : ''}`,
  };
}
