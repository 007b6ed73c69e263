// Cold start to all healthy and crash recovery, lightning vs PM2 supervising the same six built-in
// workers (dist/worker/entry.js, launched with the argv and environment lightning gives them).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Pm2, captureLaunches } from './pm2.js';
import { EXTRA_CA, QUICK, coldStartTimeline, env, freePorts, getStatus, healthy, lightning, median, removeDir, sixAgentProject, sleep, subscribeEvents, summary, supervisorInfo } from './lib.js';

const COLD_RUNS = QUICK ? 2 : 5;
/** Crash streaks: one agent each (lightning's streak only resets after 60 s healthy). */
const STREAKS = QUICK ? 2 : 6;
const STREAK_LENGTH = 5;
/** While waiting for health from outside, as often as lightning probes a starting instance. */
const POLL_MS = 15;
const RECOVERY_POLL_MS = 5;

/** Polls every port's /health until all pass; ms from `started` to the last one passing. */
async function allHealthy(ports, started, timeoutMs = 30_000) {
  const passed = new Map();
  while (passed.size < ports.length) {
    if (performance.now() - started > timeoutMs) throw new Error(`not all of ${ports.join(', ')} healthy after ${timeoutMs} ms`);
    await Promise.all(ports.filter((port) => !passed.has(port)).map(async (port) => {
      if (await healthy(port)) passed.set(port, performance.now() - started);
    }));
    if (passed.size < ports.length) await sleep(POLL_MS);
  }
  return Math.max(...passed.values());
}

/** PM2 starts the six from its ecosystem file: ms to the CLI returning (all "online") and to all /health passing. */
async function pm2Start(pm2, ecosystem, ports) {
  const started = performance.now();
  const health = allHealthy(ports, started);
  const online = await pm2.cliAsync(['start', ecosystem]);
  const healthyMs = await health;
  const processes = await pm2.processes();
  const notOnline = [...processes].filter(([, p]) => p.status !== 'online');
  if (processes.size !== ports.length || notOnline.length) throw new Error(`pm2: not all online: ${JSON.stringify([...processes])}`);
  return { online, healthy: healthyMs };
}

/** The smallest worker there is: Node answering every request with 200 and `{}`, nothing else loaded. */
const BARE_WORKER = "require('node:http').createServer((request, response) => response.end('{}')).listen(Number(process.argv[1]), '127.0.0.1')";

/**
 * The floor of a cold start on this machine: six bare workers (BARE_WORKER) spawned at once from
 * this process, ms until all six answer, polled as PM2's fleet is. No supervisor, no agent code.
 */
async function bareSixHealthy(ports, environment = process.env) {
  const started = performance.now();
  const children = ports.map((port) => spawn(process.execPath, ['-e', BARE_WORKER, String(port)], { stdio: 'ignore', env: environment }));
  try {
    return await allHealthy(ports, started);
  } finally {
    await Promise.all(children.map((child) => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', resolve);
      child.kill('SIGKILL');
    })));
  }
}

async function coldStart() {
  const runs = { lightning: [], firstSpawn: [], lastReady: [], bareSix: [], lightningWithoutExtraCa: [], bareSixWithoutExtraCa: [], pm2Online: [], pm2Healthy: [], pm2WarmOnline: [], pm2WarmHealthy: [] };
  // One project and one PM2_HOME for every run, each primed by an unmeasured start: every measured
  // run is a start after a stop, as after a reboot, not a first-ever start creating its state dir.
  const dir = sixAgentProject();
  const pm2 = new Pm2();
  try {
    lightning(dir, ['up', '-d']);
    const launches = await captureLaunches(dir);
    lightning(dir, ['down']);
    const ports = await freePorts(launches.length);
    const ecosystem = pm2.writeEcosystem(launches, ports);
    await pm2Start(pm2, ecosystem, ports);
    pm2.stopDaemon();
    await waitPortsClosed(ports);

    for (let i = 0; i < COLD_RUNS; i += 1) {
      const startedAt = Date.now();
      runs.lightning.push(lightning(dir, ['up', '-d']).ms);
      const breakdown = coldStartTimeline(dir, startedAt);
      runs.firstSpawn.push(breakdown.firstSpawn);
      runs.lastReady.push(breakdown.lastReady);
      lightning(dir, ['down']);
      runs.bareSix.push(await bareSixHealthy(ports));
      if (EXTRA_CA) {
        // The same two on a machine without the CA bundle: every process started with it unset.
        const withoutExtraCa = env({ extraCa: false });
        runs.lightningWithoutExtraCa.push(lightning(dir, ['up', '-d'], undefined, withoutExtraCa).ms);
        lightning(dir, ['down'], undefined, withoutExtraCa);
        runs.bareSixWithoutExtraCa.push(await bareSixHealthy(ports, withoutExtraCa));
      }

      // PM2 with no daemon running, then again with its daemon already running.
      const cold = await pm2Start(pm2, ecosystem, ports);
      runs.pm2Online.push(cold.online);
      runs.pm2Healthy.push(cold.healthy);
      pm2.cli(['delete', 'all']);
      await waitPortsClosed(ports);
      const warm = await pm2Start(pm2, ecosystem, ports);
      runs.pm2WarmOnline.push(warm.online);
      runs.pm2WarmHealthy.push(warm.healthy);
      pm2.stopDaemon();
      await waitPortsClosed(ports);
    }
    console.log(`cold up -d → 6 agents healthy: ${summary(runs.lightning)}`);
    console.log(`  (first worker spawned at ${summary(runs.firstSpawn)}; last worker ready at ${summary(runs.lastReady)}; six bare workers at once: ${summary(runs.bareSix)})`);
    if (EXTRA_CA) console.log(`  with NODE_EXTRA_CA_CERTS unset: up -d → 6 healthy ${summary(runs.lightningWithoutExtraCa)}; six bare workers ${summary(runs.bareSixWithoutExtraCa)}`);
    console.log(`pm2 start (no daemon yet) → 6 online: ${summary(runs.pm2Online)}; → 6 passing /health: ${summary(runs.pm2Healthy)}`);
    console.log(`pm2 start (daemon running) → 6 online: ${summary(runs.pm2WarmOnline)}; → 6 passing /health: ${summary(runs.pm2WarmHealthy)}`);
    return { runs, launches };
  } finally {
    pm2.kill();
    removeDir(dir);
  }
}

async function waitPortsClosed(ports) {
  for (let i = 0; i < 400; i += 1) {
    const open = await Promise.all(ports.map((port) => healthy(port)));
    if (!open.some(Boolean)) return;
    await sleep(5);
  }
  throw new Error('pm2 delete all left workers answering');
}

/** SIGKILL `pid` and wait for `recovered(started)`, which starts watching first and records its own timings. */
async function killAndTime(pid, recovered) {
  const started = performance.now();
  const done = recovered(started);
  process.kill(pid, 'SIGKILL');
  await done;
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no recovery after ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

/** Polls `port` until /health is answered by a process started after `started`. */
async function freshHealth(port, started) {
  for (;;) {
    const age = performance.now() - started;
    if (await healthy(port, (body) => body.uptimeMs <= age)) return performance.now() - started;
    await sleep(RECOVERY_POLL_MS);
  }
}

async function crashRecovery(launches) {
  // Fixed ports (not 0), so a respawned lightning worker can be polled from outside too.
  const lightningPorts = await freePorts(launches.length);
  const dir = sixAgentProject({ ports: lightningPorts });
  lightning(dir, ['up', '-d']);
  const info = supervisorInfo(dir);
  const waiters = new Set();
  const closeEvents = await subscribeEvents(info, (name, data) => {
    if (name === 'agent.state') for (const waiter of waiters) waiter(data);
  });
  const pm2 = new Pm2();
  const ports = await freePorts(launches.length);
  const pm2Ports = new Map(launches.map((launch, i) => [launch.name, ports[i]]));
  const onlineWaiters = new Set();
  const byPosition = () => Array.from({ length: STREAK_LENGTH }, () => []);
  const runs = { lightning: byPosition(), lightningHealth: byPosition(), pm2Online: byPosition(), pm2Healthy: byPosition(), backoff: byPosition() };
  try {
    await pm2Start(pm2, pm2.writeEcosystem(launches, ports), ports);
    const { bus } = await pm2.api();
    bus.on('process:event', (packet) => {
      if (packet.event === 'online') for (const waiter of onlineWaiters) waiter(packet.process.name);
    });
    const names = launches.map((launch) => launch.name);
    for (let streak = 0; streak < STREAKS; streak += 1) {
      const victim = names[streak % names.length];
      for (let k = 0; k < STREAK_LENGTH; k += 1) {
        // lightning: the supervisor says healthy (its own /health probe passed) with a new pid;
        // and, as for PM2, /health answered from outside by a process younger than the kill.
        const before = (await getStatus(info)).agents.find((agent) => agent.name === victim);
        let supervisorMs = null;
        let externalMs = null;
        await killAndTime(before.pid, (started) => {
          const reported = new Promise((resolve) => {
            const waiter = (event) => {
              if (event.agent === victim && event.state === 'healthy' && event.pid !== before.pid) {
                waiters.delete(waiter);
                supervisorMs = performance.now() - started;
                resolve();
              }
            };
            waiters.add(waiter);
          });
          const external = freshHealth(before.port, started).then((ms) => (externalMs = ms));
          return withTimeout(Promise.all([reported, external]), 30_000, `lightning ${victim}`);
        });
        runs.lightning[k].push(supervisorMs);
        runs.lightningHealth[k].push(externalMs);

        // PM2: its "online" event, and /health passing from a process younger than the kill.
        const pid = (await pm2.processes()).get(victim).pid;
        let onlineMs = null;
        let healthMs = null;
        await killAndTime(pid, (started) => {
          const online = new Promise((resolve) => {
            const waiter = (name) => {
              if (name !== victim) return;
              onlineWaiters.delete(waiter);
              onlineMs = performance.now() - started;
              resolve();
            };
            onlineWaiters.add(waiter);
          });
          const health = freshHealth(pm2Ports.get(victim), started).then((ms) => (healthMs = ms));
          return withTimeout(Promise.all([online, health]), 30_000, `pm2 ${victim}`);
        });
        runs.pm2Online[k].push(onlineMs);
        runs.pm2Healthy[k].push(healthMs);
      }
      const log = readFileSync(path.join(dir, `.lightning/logs/${victim}-0.log`), 'utf8');
      // A crash-loop restart says how long it waits; one after `minUptime` healthy restarts at once.
      const delays = [...log.matchAll(/restart \d+ in (\d+) ms|restarting at once/g)].map((m) => Number(m[1] ?? 0));
      delays.slice(-STREAK_LENGTH).forEach((delay, k) => runs.backoff[k].push(delay));
    }
  } finally {
    closeEvents();
    pm2.kill();
    lightning(dir, ['down']);
    removeDir(dir);
  }
  console.log(`SIGKILL → healthy again, 1st crash: lightning ${summary(runs.lightning[0])} (/health from outside ${summary(runs.lightningHealth[0])}); pm2 online ${summary(runs.pm2Online[0])}, /health ${summary(runs.pm2Healthy[0])}`);
  const last = STREAK_LENGTH - 1;
  console.log(`SIGKILL → healthy again, 5th crash in a row: lightning ${summary(runs.lightning[last])} (backoff by policy ${summary(runs.backoff[last])}); pm2 online ${summary(runs.pm2Online[last])}, /health ${summary(runs.pm2Healthy[last])}`);
  return runs;
}

export async function run() {
  const cold = await coldStart();
  const crash = await crashRecovery(cold.launches);
  return section(cold.runs, crash);
}

function section(cold, crash) {
  const last = STREAK_LENGTH - 1;
  const m = (values) => Math.round(median(values));
  return [
    {
      id: 'cold-start',
      title: 'Cold start: six agents from nothing',
      method:
        `\`lightning up -d\` (returns when all six built-in agents pass /health; model not needed) vs PM2 starting the same six ` +
        'processes: `dist/worker/entry.js --agent NAME --port N` with the argv and environment lightning gives them (read from /proc of a lightning fleet; ' +
        'LIGHTNING_SUPERVISOR_PID dropped). PM2 "online" = `pm2 start ecosystem.json` returned and `pm2 jlist` shows six online; ' +
        `"/health" = all six answer 200, polled every ${POLL_MS} ms (lightning's own probe rate while starting). ` +
        'Every run starts after a stop (same project, same PM2_HOME, both primed by one unmeasured start), lightning and PM2 interleaved. ' +
        `The floor: six \`node -e\` processes that only answer HTTP 200 (no supervisor, no agent code), spawned at once by the benchmark, polled the same way, in each repetition between lightning and PM2. ` +
        'Where NODE_EXTRA_CA_CERTS is set (the bench machine sets it), every Node process parses that CA bundle as it boots; each repetition then also starts lightning and the six bare servers with it unset, as on a machine without one (PM2 and the targets use the environment as it is).',
      rows: [
        { key: 'lightning', label: 'lightning up -d → 6 healthy', unit: 'ms', runs: cold.lightning },
        { key: 'firstSpawn', label: '  of which: until the first worker is spawned', unit: 'ms', runs: cold.firstSpawn },
        { key: 'lastReady', label: '  of which: until the last worker is listening', unit: 'ms', runs: cold.lastReady },
        { key: 'bareSix', label: 'floor: six bare Node HTTP servers spawned at once → all answering', unit: 'ms', runs: cold.bareSix },
        ...(cold.lightningWithoutExtraCa.length > 0
          ? [
              { key: 'lightningWithoutExtraCa', label: 'lightning up -d → 6 healthy, NODE_EXTRA_CA_CERTS unset (a machine without a CA bundle to parse)', unit: 'ms', runs: cold.lightningWithoutExtraCa },
              { key: 'bareSixWithoutExtraCa', label: 'floor: six bare Node HTTP servers, NODE_EXTRA_CA_CERTS unset', unit: 'ms', runs: cold.bareSixWithoutExtraCa },
            ]
          : []),
        { key: 'pm2Online', label: 'pm2 start, no daemon yet → 6 online', unit: 'ms', runs: cold.pm2Online },
        { key: 'pm2Healthy', label: 'pm2 start, no daemon yet → 6 passing /health', unit: 'ms', runs: cold.pm2Healthy },
        { key: 'pm2WarmOnline', label: 'pm2 start, daemon already running → 6 online', unit: 'ms', runs: cold.pm2WarmOnline },
        { key: 'pm2WarmHealthy', label: 'pm2 start, daemon already running → 6 passing /health', unit: 'ms', runs: cold.pm2WarmHealthy },
      ],
      comparisons: [
        {
          figure: 'Cold start, six agents healthy', subject: 'lightning', peer: 'pm2Healthy', peerName: 'PM2 + /health polling', headline: true,
          why: `lightning spends a median ${m(cold.firstSpawn)} ms before the first worker is spawned (CLI start, config validation, starting the daemon and its imports), the six workers are listening ${m(cold.lastReady)} ms after the command started, and the rest is the probe seeing them and \`up -d\` seeing the status`,
        },
        {
          figure: 'Cold start vs the floor (six bare Node HTTP servers)', subject: 'lightning', peer: 'bareSix', peerName: 'six bare Node servers', floor: true,
          why: `the floor is Node starting six times at once on these cores; lightning adds its CLI and daemon start (${m(cold.firstSpawn)} ms before the first spawn) and each worker's own code`,
        },
        {
          figure: 'Cold start, PM2 counting "online" (no health check)', subject: 'lightning', peer: 'pm2Online', peerName: 'PM2 online',
          why: `PM2 calls a process "online" as soon as it is spawned, before it listens; lightning waits until every worker answers /health (${m(cold.lastReady)} ms after the command started, median, against ${m(cold.pm2Online)} ms for PM2's "online")`,
        },
        {
          figure: 'Cold start vs PM2 with its daemon already running', subject: 'lightning', peer: 'pm2WarmHealthy', peerName: 'PM2 (warm daemon) + /health',
          why: `lightning starts its supervisor on every \`up\` (${m(cold.firstSpawn)} ms before the first spawn, median); a resident PM2 daemon has paid that already`,
        },
      ],
    },
    {
      id: 'crash-recovery',
      title: 'Crash recovery: SIGKILL → healthy again',
      method:
        `${STREAKS} streaks of ${STREAK_LENGTH} SIGKILLs in a row, one agent per streak, each kill as soon as the previous one recovered; both fleets up side by side, interleaved. ` +
        'lightning: the supervisor reports the agent `healthy` with a new pid (its own /health probe passed; SSE /v1/events). ' +
        `PM2: its \`online\` bus event. Both: /health on the worker's port answered by a process younger than the kill, polled from outside every ${RECOVERY_POLL_MS} ms. ` +
        'Both as configured by default: lightning restarts the first crash of a streak at once, then backs off 100 ms × 2^(n−2) ±20 %; ' +
        'PM2 restart_delay 0, exponential backoff off.',
      rows: [
        { key: 'lightning1', label: 'lightning reports healthy, 1st crash', unit: 'ms', runs: crash.lightning[0] },
        { key: 'lightningHealth1', label: 'lightning worker /health passing (polled from outside), 1st crash', unit: 'ms', runs: crash.lightningHealth[0] },
        { key: 'pm2Online1', label: 'pm2 online, 1st crash', unit: 'ms', runs: crash.pm2Online[0] },
        { key: 'pm2Healthy1', label: 'pm2 /health passing, 1st crash', unit: 'ms', runs: crash.pm2Healthy[0] },
        { key: 'lightning5', label: 'lightning reports healthy, 5th crash in a row', unit: 'ms', runs: crash.lightning[last] },
        { key: 'lightningHealth5', label: 'lightning worker /health passing (polled from outside), 5th crash in a row', unit: 'ms', runs: crash.lightningHealth[last] },
        { key: 'backoff5', label: '  of which: backoff by policy before the 5th restart', unit: 'ms', runs: crash.backoff[last] },
        { key: 'pm2Online5', label: 'pm2 online, 5th crash in a row', unit: 'ms', runs: crash.pm2Online[last] },
        { key: 'pm2Healthy5', label: 'pm2 /health passing, 5th crash in a row', unit: 'ms', runs: crash.pm2Healthy[last] },
      ],
      comparisons: [
        {
          figure: 'SIGKILL → healthy, 1st crash', subject: 'lightning1', peer: 'pm2Healthy1', peerName: 'PM2 + /health polling', headline: true,
          why: 'both respawn at once; lightning also waits for its own probe (every 15 ms while starting) to pass before it calls the agent healthy, and the respawn goes through its state machine and port check',
        },
        {
          figure: 'SIGKILL → healthy, 5th crash in a row', subject: 'lightning5', peer: 'pm2Healthy5', peerName: 'PM2 + /health polling', headline: true,
          why: `on purpose: lightning's default restart policy backs off inside a crash streak (the 5th restart waited ${m(crash.backoff[last])} ms by policy, median) so a crash-looping worker does not burn the CPU; PM2's defaults (restart_delay 0, no exponential backoff) respawn at once every time. \`restart: { initialDelay: 0ms }\` in agents.yaml gives PM2's behaviour`,
        },
      ],
    },
  ];
}
