// Chaos (d): the model endpoint answers HTTP 500 for a while, then recovers. A model outage is not
// the workers' fault: they must stay up (no restart), tasks caught in it must fail with an error
// naming the endpoint and the status (after the SDK's retries), and tasks after the recovery
// must complete again at once.
import { auditLedger, readLedger } from './ledger.js';
import { bar, controlApi, down, fleetYaml, makeProject, pct, runLoad, sleep, up } from './lib.js';
import { startChaosModel } from './model.js';

export async function modelOutage({ tasks = 400, concurrency = 20, outageAfter = 50, outageMs = 2000, instances = 2, modelDelayMs = 20, log = () => undefined } = {}) {
  const model = await startChaosModel({ delayMs: modelDelayMs });
  const dir = makeProject(fleetYaml({ modelUrl: model.url, instances }));
  let api = null;
  try {
    const info = await up(dir);
    api = controlApi(info, concurrency + 8);
    const before = (await api.status()).agents;
    log(`fleet up: ${instances} instance(s); ${tasks} tasks at concurrency ${concurrency}; the model answers 500 for ${outageMs} ms after ${outageAfter} results`);

    let answered = 0;
    let recoveredAt = Infinity;
    let outage = Promise.resolve();
    const onResult = () => {
      answered += 1;
      if (answered !== outageAfter) return;
      model.setMode('error');
      outage = sleep(outageMs).then(() => {
        model.setMode('ok');
        recoveredAt = Date.now();
      });
    };
    const results = await runLoad(api, { total: tasks, concurrency, onResult });
    await outage;

    const after = (await api.status()).agents;
    const restarted = after.filter((agent) => {
      const was = before.find((candidate) => candidate.instance === agent.instance);
      return !was || was.pid !== agent.pid || was.restarts !== agent.restarts;
    });
    const audit = auditLedger(readLedger(dir).events);
    const failed = results.filter((result) => result.status !== 'completed');
    const clear = failed.filter((result) => /answered HTTP 500 after \d+ tries/.test(result.error ?? '') && (result.error ?? '').includes(model.url.replace(/\/v1$/, '')));
    const afterRecovery = results.filter((result) => result.started >= recoveredAt);
    const afterOk = afterRecovery.filter((result) => result.status === 'completed');
    const firstOk = results.filter((result) => result.status === 'completed' && result.ended >= recoveredAt).map((result) => result.ended).sort((a, b) => a - b)[0];
    const recoverMs = firstOk === undefined ? null : firstOk - recoveredAt;
    const afterPct = pct(afterOk.length, afterRecovery.length);

    return {
      name: 'model endpoint answers 500, then recovers',
      figures: {
        tasks,
        'outage (ms)': outageMs,
        'model answers during the outage (HTTP 500)': model.counts.error,
        'tasks failed by the outage': failed.length,
        'tasks started after the recovery': `${afterRecovery.length}, ${afterPct.toFixed(2)} % completed`,
        'recovery → first completed task (ms)': recoverMs ?? 'never',
        'workers restarted': restarted.length,
        ...(failed[0] ? { 'a failed task says': failed[0].error } : {}),
      },
      bars: [
        bar('the outage failed tasks (it was real)', model.counts.error > 0 && failed.length > 0, `${failed.length} failed`),
        bar('each failed task names the endpoint and the HTTP 500', clear.length === failed.length, `${clear.length}/${failed.length}`),
        bar('no worker was restarted for the model\'s fault', restarted.length === 0, restarted.map((agent) => `${agent.name}#${agent.instance}`).join(', ') || 'none'),
        bar('every task reached a terminal state, none twice', audit.submitted === tasks && audit.unfinished.length === 0 && audit.duplicated.length === 0, `${audit.unfinished.length} unfinished, ${audit.duplicated.length} twice`),
        bar('tasks after the recovery: ≥ 99.5 % completed', afterRecovery.length > 0 && afterPct >= 99.5, `${afterOk.length}/${afterRecovery.length}`),
        bar('recovered within 1 s of the endpoint', recoverMs !== null && recoverMs <= 1000, `${recoverMs ?? '-'} ms`, true),
      ],
    };
  } finally {
    await api?.close();
    await down(dir);
    await model.close();
  }
}
