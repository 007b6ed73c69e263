// Chaos (b): the supervisor SIGKILLed under load. Its workers must go by themselves within 2 s,
// the ledger must still parse, and the next `up` must mark the tasks that were in flight
// `interrupted` — on the same fixed ports, which proves nothing was left holding them.
import { auditLedger, readLedger } from './ledger.js';
import { bar, canBind, controlApi, down, fleetYaml, freePorts, gone, makeProject, runLoad, sleep, up, waitFor } from './lib.js';
import { startChaosModel } from './model.js';

export async function supervisorKill({ concurrency = 50, completeBeforeKill = 200, instances = 2, modelDelayMs = 100, log = () => undefined } = {}) {
  const model = await startChaosModel({ delayMs: modelDelayMs });
  const [supervisorPort] = await freePorts(1);
  const workerPorts = await freePorts(instances);
  const dir = makeProject(fleetYaml({ modelUrl: model.url, instances, supervisorPort, port: workerPorts[0] }));
  let api = null;
  try {
    const info = await up(dir);
    api = controlApi(info, concurrency + 8);
    const workers = (await api.status()).agents.map((agent) => agent.pid);
    log(`fleet up on ports ${supervisorPort} (API) and ${workerPorts.join(', ')}; load at concurrency ${concurrency}; SIGKILL of the supervisor after ${completeBeforeKill} completed tasks`);

    let completed = 0;
    let killed = false;
    const load = runLoad(api, { total: Number.MAX_SAFE_INTEGER, concurrency, stop: () => killed, onResult: (result) => (completed += result.status === 'completed' ? 1 : 0) });
    await waitFor(`${completeBeforeKill} completed tasks`, async () => completed >= completeBeforeKill, 60_000, 5);
    process.kill(info.pid, 'SIGKILL');
    const killedAt = Date.now();
    killed = true;
    let goneMs = null;
    while (Date.now() - killedAt < 10_000) {
      if (workers.every(gone)) {
        goneMs = Date.now() - killedAt;
        break;
      }
      await sleep(10);
    }
    const results = await load;
    await api.close();
    api = null;

    const bindable = await Promise.all([supervisorPort, ...workerPorts].map(canBind));
    const before = readLedger(dir);
    const auditBefore = auditLedger(before.events);
    const inflight = new Set(auditBefore.unfinished.map((task) => task.id));
    const ports = [supervisorPort, ...workerPorts];
    const busy = ports.filter((_, i) => !bindable[i]);

    const again = await up(dir);
    api = controlApi(again, 4);
    const status = await api.status();
    // The ledger is replayed (and the dead supervisor's tasks marked) once the fleet has settled,
    // after `up -d` returns; task routes wait for that, so one request is the sign it is done.
    await api.request('GET', '/v1/tasks?limit=1');
    const after = auditLedger(readLedger(dir).events);
    const interrupted = after.tasks.filter((task) => inflight.has(task.id) && task.terminal.length === 1 && task.terminal[0] === 'task.interrupted');
    const seenCompleted = results.filter((result) => result.status === 'completed');
    const lost = seenCompleted.filter((result) => after.tasks.find((task) => task.id === result.id)?.terminal[0] !== 'task.completed');
    const rebound = status.agents.every((agent) => agent.state === 'healthy' && workerPorts.includes(agent.port)) && again.api.endsWith(`:${supervisorPort}`);

    return {
      name: 'supervisor SIGKILLed under load',
      figures: {
        'tasks answered before the kill': seenCompleted.length,
        'in flight at the kill (unfinished in the ledger)': inflight.size,
        'kill → every worker gone (ms)': goneMs ?? 'not within 10 s',
        'torn last ledger line': before.torn ? 'yes (skipped on read)' : 'no',
        'next up -d → healthy (ms)': Math.round(again.ms),
        'marked interrupted by the next up': `${interrupted.length}/${inflight.size}`,
      },
      bars: [
        bar('tasks were in flight when the supervisor died', inflight.size > 0, `${inflight.size}`),
        bar('every worker exited by itself', goneMs !== null, goneMs === null ? 'some still alive after 10 s' : `${goneMs} ms`),
        bar('every worker gone within 2 s', goneMs !== null && goneMs <= 2000, `${goneMs ?? '-'} ms`, true),
        bar('the ledger parses (at most a torn last line)', before.corrupt.length === 0, `${before.lines} lines, corrupt at ${before.corrupt.join(',') || 'none'}`),
        bar('the ports are free after the kill', busy.length === 0, busy.length ? `still bound: ${busy.join(', ')} (API ${supervisorPort}, workers ${workerPorts.join(', ')})` : `API ${supervisorPort}, workers ${workerPorts.join(', ')}`),
        bar('the next up marks every in-flight task interrupted', interrupted.length === inflight.size, `${interrupted.length}/${inflight.size}`),
        bar('no task ended twice; every task has ended', after.duplicated.length === 0 && after.unfinished.length === 0, `${after.duplicated.length} twice, ${after.unfinished.length} unfinished`),
        bar('every answer the client got as completed is completed in the ledger', lost.length === 0, `${lost.length} lost of ${seenCompleted.length}`),
        bar('the fleet is back, healthy, on the same ports', rebound, status.agents.map((agent) => `${agent.state}:${agent.port}`).join(' ')),
      ],
    };
  } finally {
    await api?.close();
    await down(dir);
    await model.close();
  }
}
