// Chaos (c): a worker that hangs — SIGSTOP freezes the whole process, so the kernel still accepts
// connections on its port but nothing ever answers, exactly like a worker stuck in a busy loop or
// a deadlock. The supervisor must see its probes time out, stop routing to it, kill and restart
// it, and the tasks stuck on it must be moved to the other instance.
import { auditLedger, readLedger } from './ledger.js';
import { bar, controlApi, down, fleetYaml, gone, makeProject, pct, runLoad, up, waitFor, watchAgentStates } from './lib.js';
import { startChaosModel } from './model.js';

const HEALTH = { intervalMs: 200, timeoutMs: 200, failureThreshold: 3 };

export async function hangingWorker({ tasks = 300, concurrency = 20, instances = 2, modelDelayMs = 100, log = () => undefined } = {}) {
  const model = await startChaosModel({ delayMs: modelDelayMs });
  const health = `{ interval: ${HEALTH.intervalMs}ms, timeout: ${HEALTH.timeoutMs}ms, failureThreshold: ${HEALTH.failureThreshold}, startTimeout: 20s }`;
  const dir = makeProject(fleetYaml({ modelUrl: model.url, instances, health }));
  let api = null;
  let watcher = null;
  let victim = null;
  try {
    const info = await up(dir);
    api = controlApi(info, concurrency + 8);
    watcher = watchAgentStates(info);
    log(`fleet up: ${instances} instance(s), probes every ${HEALTH.intervalMs} ms (timeout ${HEALTH.timeoutMs} ms, ${HEALTH.failureThreshold} in a row); ${tasks} tasks at concurrency ${concurrency}`);

    const load = runLoad(api, { total: tasks, concurrency });
    // Freeze an instance while tasks run on it, so there are tasks to move.
    victim = await waitFor('tasks in flight on the first instance', async () => {
      const agent = (await api.status()).agents[0];
      return agent.inflight > 0 && agent.state === 'healthy' ? agent : null;
    }, 30_000, 5);
    const victimId = `${victim.name}#${victim.instance}`;
    process.kill(victim.pid, 'SIGSTOP');
    const stoppedAt = Date.now();
    log(`SIGSTOP ${victimId} (pid ${victim.pid}) with ${victim.inflight} task(s) in flight on it`);

    const back = await waitFor(`${victimId} healthy again with a new pid`, async () => {
      const healthy = watcher.changes.find((change) => change.id === victimId && change.state === 'healthy' && change.at >= stoppedAt && change.pid !== victim.pid);
      return healthy ?? null;
    }, 30_000).catch(() => null);
    const results = await load;
    const unhealthy = watcher.first(victimId, 'unhealthy', stoppedAt);
    const killed = watcher.changes.find((change) => change.id === victimId && ['backoff', 'stopped', 'failed'].includes(change.state) && change.at >= stoppedAt) ?? null;
    const oldGone = gone(victim.pid);
    const now = (await api.status()).agents.find((agent) => agent.name === victim.name && agent.instance === victim.instance);

    const audit = auditLedger(readLedger(dir).events);
    const moved = results.filter((result) => {
      const first = result.attempts[0];
      const last = result.attempts.at(-1);
      return first && last && first.instance === victim.instance && first.status !== 'completed' && last.status === 'completed' && last.instance !== victim.instance;
    });
    const completedPct = pct(audit.completed, tasks);
    const detectMs = unhealthy ? unhealthy.at - stoppedAt : null;
    // The worst case for detection: the threshold's probes, each waiting its full timeout.
    const detectBound = HEALTH.failureThreshold * (HEALTH.intervalMs + HEALTH.timeoutMs) + 1000;

    return {
      name: 'a worker that hangs (accepts connections, never answers)',
      figures: {
        tasks,
        'in flight on the hung worker': victim.inflight,
        'hang → first failed probe (ms)': detectMs ?? 'never',
        'hang → killed (ms)': killed ? killed.at - stoppedAt : 'never',
        'hang → healthy again, new pid (ms)': back ? back.at - stoppedAt : 'never',
        'tasks moved to another instance': moved.length,
        'completed in the ledger': `${audit.completed}/${tasks} (${completedPct.toFixed(2)} %)`,
        'last exit of the hung instance': now?.lastExit ?? 'n/a',
      },
      bars: [
        bar('the hang was noticed (probe timeouts → unhealthy)', unhealthy !== null, detectMs === null ? 'never unhealthy' : `${detectMs} ms`),
        bar('the hung worker was killed and restarted with a new pid', back !== null && oldGone, `old pid ${victim.pid} ${oldGone ? 'gone' : 'still alive'}, new pid ${back?.pid ?? '-'}`),
        bar('its exit says why (health check failed)', /health check failed/.test(now?.lastExit ?? ''), now?.lastExit ?? 'n/a'),
        bar('tasks stuck on it were moved to another instance and completed', moved.length > 0, `${moved.length}`),
        bar('every task reached a terminal state, none twice', audit.submitted === tasks && audit.unfinished.length === 0 && audit.duplicated.length === 0, `${audit.unfinished.length} unfinished, ${audit.duplicated.length} twice`),
        bar('≥ 99.5 % completed', completedPct >= 99.5, `${completedPct.toFixed(2)} %`),
        bar(`the hang was noticed within ${detectBound} ms`, detectMs !== null && detectMs <= detectBound, `${detectMs ?? '-'} ms`, true),
      ],
    };
  } finally {
    // Should the supervisor not have killed it, a frozen process must not outlive the scenario.
    if (victim && !gone(victim.pid)) {
      try {
        process.kill(victim.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await watcher?.close();
    await api?.close();
    await down(dir);
    await model.close();
  }
}
