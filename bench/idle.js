// Idle cost: the supervisor's CPU % and RSS with six agents probed every second (agents.yaml's
// default health interval), and each worker's RSS; PM2's daemon and the same six under PM2 beside it.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Pm2, captureLaunches } from './pm2.js';
import { QUICK, ROOT, cpuMs, fmt, freePorts, getStatus, lightning, median, removeDir, rssMiB, sixAgentProject, sleep, supervisorInfo } from './lib.js';

const WINDOW_S = QUICK ? 10 : 60;
/** CPU % is read per slice; one tick is 10 ms, so a slice must be long enough to resolve 0.1 %. */
const SLICE_S = QUICK ? 5 : 10;
const SETTLE_MS = 3000;
const PROBE_FLOOR = path.join(ROOT, 'bench/probe-floor.js');

export async function run() {
  const dir = sixAgentProject();
  const pm2 = new Pm2();
  // A bare Node process, idle: what any Node daemon costs before its own code.
  const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  let prober = null;
  try {
    lightning(dir, ['up', '-d']);
    const info = supervisorInfo(dir);
    const { agents } = await getStatus(info);
    const launches = await captureLaunches(dir);
    const ports = await freePorts(launches.length);
    await pm2.cliAsync(['start', pm2.writeEcosystem(launches, ports)]);
    const pm2Workers = [...(await pm2.processes()).values()].map((p) => p.pid);
    const pm2Daemon = pm2.daemonPid();
    // The floor prober checks the PM2-run six (lightning's are probed by their supervisor already).
    prober = spawn(process.execPath, [PROBE_FLOOR, ...ports.map(String)], { stdio: 'ignore' });
    await sleep(SETTLE_MS);

    const watched = { supervisor: info.pid, pm2Daemon, bare: bare.pid, prober: prober.pid };
    const cpu = { supervisor: [], pm2Daemon: [], bare: [], prober: [] };
    const rss = { supervisor: [], pm2Daemon: [], bare: [], prober: [] };
    const workerRss = new Map(agents.map((agent) => [agent.name, []]));
    const pm2WorkerRss = pm2Workers.map(() => []);
    let sliceStart = { wall: performance.now(), cpu: Object.fromEntries(Object.entries(watched).map(([k, pid]) => [k, cpuMs(pid)])) };
    for (let second = 1; second <= WINDOW_S; second += 1) {
      await sleep(1000);
      for (const [key, pid] of Object.entries(watched)) rss[key].push(rssMiB(pid));
      for (const agent of agents) workerRss.get(agent.name).push(rssMiB(agent.pid));
      pm2Workers.forEach((pid, i) => pm2WorkerRss[i].push(rssMiB(pid)));
      if (second % SLICE_S === 0) {
        const now = { wall: performance.now(), cpu: Object.fromEntries(Object.entries(watched).map(([k, pid]) => [k, cpuMs(pid)])) };
        for (const key of Object.keys(watched)) cpu[key].push(((now.cpu[key] - sliceStart.cpu[key]) / (now.wall - sliceStart.wall)) * 100);
        sliceStart = now;
      }
    }
    const after = await getStatus(info);
    const restarted = after.agents.filter((agent) => agent.restarts > 0).map((agent) => agent.name);
    if (restarted.length) throw new Error(`agents restarted while idle: ${restarted.join(', ')}`);

    const probesPerSecond = agents.length; // one /health per agent per `interval` (1 s)
    console.log(`idle supervisor, six agents probed every second, ${WINDOW_S} s: CPU ${fmt(median(cpu.supervisor))} % (a bare prober ${fmt(median(cpu.prober))} %), RSS ${fmt(median(rss.supervisor))} MiB; pm2 daemon CPU ${fmt(median(cpu.pm2Daemon))} %, RSS ${fmt(median(rss.pm2Daemon))} MiB; bare node RSS ${fmt(median(rss.bare))} MiB`);
    console.log(`  worker RSS: ${[...workerRss].map(([name, values]) => `${name} ${fmt(median(values))}`).join(', ')} MiB; under pm2: ${pm2WorkerRss.map((values) => fmt(median(values))).join(', ')} MiB`);

    const medianOf = (series) => series.map((values) => median(values));
    return [
      {
        id: 'idle',
        title: 'Idle cost: six agents, probed every second',
        method:
          `lightning up -d with the repository's agents.yaml (health interval 1 s) and, beside it, PM2 running the same six workers; after ${SETTLE_MS / 1000} s to settle, ` +
          `${WINDOW_S} s sampled every second: RSS from /proc/<pid>/status (VmRSS), CPU from /proc/<pid>/stat (utime+stime) per ${SLICE_S} s slice. ` +
          'A bare idle `node` process (setInterval) is measured alongside as the floor any Node daemon pays. PM2 does not probe health.',
        rows: [
          { key: 'supervisorCpu', label: 'lightning supervisor CPU', unit: '%', runs: cpu.supervisor },
          { key: 'pm2DaemonCpu', label: 'PM2 daemon CPU', unit: '%', runs: cpu.pm2Daemon },
          { key: 'bareCpu', label: 'bare idle node CPU', unit: '%', runs: cpu.bare },
          { key: 'proberCpu', label: 'minimal prober CPU (bench/probe-floor.js: six GET /health a second to the PM2-run workers, nothing else)', unit: '%', runs: cpu.prober },
          { key: 'supervisorRss', label: 'lightning supervisor RSS', unit: 'MiB', runs: rss.supervisor },
          { key: 'pm2DaemonRss', label: 'PM2 daemon RSS', unit: 'MiB', runs: rss.pm2Daemon },
          { key: 'bareRss', label: 'bare idle node RSS', unit: 'MiB', runs: rss.bare },
          { key: 'proberRss', label: 'minimal prober RSS', unit: 'MiB', runs: rss.prober },
          ...[...workerRss].map(([name, values]) => ({ key: `worker-${name}`, label: `worker ${name} RSS (under lightning)`, unit: 'MiB', runs: values })),
          { key: 'workersRss', label: 'the six workers under lightning, each (median per worker)', unit: 'MiB', runs: medianOf([...workerRss.values()]) },
          { key: 'pm2WorkersRss', label: 'the six workers under PM2, each (median per worker)', unit: 'MiB', runs: medianOf(pm2WorkerRss) },
        ],
        comparisons: [
          {
            figure: 'Idle supervisor CPU', subject: 'supervisorCpu', peer: 'pm2DaemonCpu', peerName: 'PM2 daemon (no health checks)', headline: true,
            why: `lightning sends ${probesPerSecond} /health probes a second and PM2 checks nothing but that the process is alive; a minimal script doing only those probes (bench/probe-floor.js) uses ${fmt(median(cpu.prober))} % in the same window. ` +
              "A CPU profile of the idle supervisor (node --cpu-prof, 28 s, taken while writing this bench) had its JS thread busy ~1 % of the time: ~65 % of that in Node's HTTP client for the probes, ~29 % garbage collection, ~6 % lightning's own code (prober, state machine)",
          },
          {
            figure: 'Idle supervisor RSS', subject: 'supervisorRss', peer: 'pm2DaemonRss', peerName: 'PM2 daemon', headline: true,
            why: `${fmt(median(rss.bare))} MiB of it is Node itself (a bare idle node process, same run); the rest is the code the supervisor keeps loaded — control API, router and learned policy, ledger, prom-client metrics, dashboard`,
          },
          {
            figure: 'Worker RSS', subject: 'workersRss', peer: 'pm2WorkersRss', peerName: 'same worker under PM2',
            why: 'the same worker code runs in both; the difference is what the parent gives it (pipes, environment) and noise',
          },
        ],
      },
    ];
  } finally {
    bare.kill();
    prober?.kill();
    pm2.kill();
    lightning(dir, ['down']);
    removeDir(dir);
  }
}
