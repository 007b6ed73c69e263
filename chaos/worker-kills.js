// Chaos (a): tasks under load while a random worker is SIGKILLed every `killEveryMs`. Every task
// must end exactly once in the ledger, almost all of them completed (failover to a live
// instance), and every killed instance must come back.
import { auditLedger, readLedger } from './ledger.js';
import { bar, controlApi, down, fleetYaml, makeProject, pct, percentile, runLoad, sleep, up, waitFor, watchAgentStates } from './lib.js';
import { startChaosModel } from './model.js';

export async function workerKills({ tasks = 1000, concurrency = 50, killEveryMs = 500, instances = 3, modelDelayMs = 20, log = () => undefined } = {}) {
  const model = await startChaosModel({ delayMs: modelDelayMs });
  // A worker killed from outside every 0.5 s is not crash-looping by itself: give it restarts to
  // spare and a short streak, so the policy restarts it rather than gives up on it.
  const dir = makeProject(fleetYaml({ modelUrl: model.url, instances, restart: '{ maxRestarts: 1000, resetAfter: 2s, maxDelay: 1s }' }));
  let api = null;
  let watcher = null;
  try {
    const info = await up(dir);
    api = controlApi(info, concurrency + 8);
    watcher = watchAgentStates(info);
    log(`fleet up: ${instances} instance(s); ${tasks} tasks at concurrency ${concurrency}, a random worker SIGKILLed every ${killEveryMs} ms`);

    const kills = [];
    let loading = true;
    const killer = (async () => {
      for (;;) {
        await sleep(killEveryMs);
        if (!loading) return;
        const running = (await api.status()).agents.filter((agent) => agent.pid !== null && agent.state !== 'stopping');
        const victim = running[Math.floor(Math.random() * running.length)];
        if (!victim) continue;
        try {
          process.kill(victim.pid, 'SIGKILL');
          kills.push({ at: Date.now(), id: `${victim.name}#${victim.instance}`, pid: victim.pid });
        } catch {
          // it died on its own meanwhile
        }
      }
    })();
    const started = Date.now();
    const results = await runLoad(api, { total: tasks, concurrency });
    const elapsedMs = Date.now() - started;
    loading = false;
    await killer;

    const settled = await waitFor('every instance healthy again', async () => (await api.status()).agents.every((agent) => agent.state === 'healthy'), 20_000).then(() => true, () => false);
    const recoveries = kills.map((kill) => {
      const healthy = watcher.first(kill.id, 'healthy', kill.at);
      return healthy ? healthy.at - kill.at : null;
    });
    const recovered = recoveries.filter((ms) => ms !== null);
    const ledger = readLedger(dir);
    const audit = auditLedger(ledger.events);
    const answered = results.filter((result) => result.http === 200);
    const lost = results.filter((result) => result.status === 'completed' && audit.tasks.find((task) => task.id === result.id)?.terminal[0] !== 'task.completed');
    const retried = results.filter((result) => result.attempts.length > 1).length;
    const completedPct = pct(audit.completed, tasks);
    // A task may fail only the way the failover policy allows: every one of its attempts lost to
    // a dying instance (`task.retries` + 1 of them). Anything else is a bug the kills uncovered.
    const unexplained = audit.tasks.filter((task) => task.terminal[0] === 'task.failed' && !(task.attempts.length > 0 && task.attempts.every((attempt) => attempt.transport === true)));
    const failures = results.filter((result) => result.status !== 'completed').map((result) => `${result.status ?? `HTTP ${result.http}`}: ${result.error}`);

    return {
      name: 'worker SIGKILLed every 0.5 s under load',
      figures: {
        tasks,
        concurrency,
        'wall time': `${(elapsedMs / 1000).toFixed(1)} s (${((tasks * 1000) / elapsedMs).toFixed(0)} tasks/s)`,
        kills: kills.length,
        'completed in the ledger': `${audit.completed}/${tasks} (${completedPct.toFixed(2)} %)`,
        failed: audit.failed,
        'tasks that ended twice': audit.duplicated.length,
        'tasks retried on another instance': retried,
        'kill → healthy again (ms)': recovered.length ? `p50 ${percentile(recovered, 50)}, max ${Math.max(...recovered)} (${recovered.length}/${kills.length} seen)` : 'n/a',
        ...(failures.length ? { 'first failures': failures.slice(0, 3).join(' | ') } : {}),
      },
      bars: [
        bar('workers were killed during the load', kills.length >= 1, `${kills.length} kill(s)`),
        bar('every request answered with its result', answered.length === tasks, `${answered.length}/${tasks}`),
        bar('every task is in the ledger and reached a terminal state', audit.submitted === tasks && audit.unfinished.length === 0, `${audit.submitted} submitted, ${audit.unfinished.length} unfinished`),
        bar('every failed task lost each of its attempts to a dying instance', unexplained.length === 0, `${unexplained.length} failed otherwise`),
        // How many tasks lose all their attempts depends on how long an attempt takes against the
        // fixed kill rate: a machine-speed bar.
        bar('≥ 99.5 % completed', completedPct >= 99.5, `${completedPct.toFixed(2)} %`, true),
        bar('no task ended twice (one terminal event each, no double task.completed)', audit.duplicated.length === 0 && audit.completedTwice.length === 0, `${audit.duplicated.length} ended twice, ${audit.completedTwice.length} completed twice`),
        bar('every completed answer is completed in the ledger', lost.length === 0, `${lost.length} lost`),
        bar('the ledger parses: no corrupt or torn line', ledger.corrupt.length === 0 && !ledger.torn, `${ledger.lines} lines, corrupt at ${ledger.corrupt.join(',') || 'none'}`),
        bar('every instance healthy again after the load', settled, settled ? 'yes' : 'no'),
        bar('every killed instance came back within 5 s', recovered.length === kills.length && recovered.every((ms) => ms <= 5000), `${recovered.length}/${kills.length}, max ${recovered.length ? Math.max(...recovered) : '-'} ms`, true),
      ],
    };
  } finally {
    await watcher?.close();
    await api?.close();
    await down(dir);
    await model.close();
  }
}
