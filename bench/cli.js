// CLI latency: `lightning status` and `lightning run` (instant model) against a running fleet of
// six, vs `pm2 ls` against PM2 running the same six; `node -e 0` alongside as the floor.
import { execFileSync } from 'node:child_process';
import { Pm2, captureLaunches } from './pm2.js';
import { startInstantModel } from './instant-model.js';
import { QUICK, fmt, freePorts, lightning, lightningAsync, median, removeDir, sixAgentProject, summary } from './lib.js';

const RUNS = QUICK ? 5 : 20;

export async function run() {
  const model = await startInstantModel();
  const dir = sixAgentProject({ modelUrl: model.url });
  const pm2 = new Pm2();
  const runs = { status: [], run: [], pm2ls: [], floor: [] };
  try {
    lightning(dir, ['up', '-d']);
    const launches = await captureLaunches(dir);
    await pm2.cliAsync(['start', pm2.writeEcosystem(launches, await freePorts(launches.length))]);
    // One of each first, unmeasured: the page cache and the fleets' lazy imports.
    lightning(dir, ['status']);
    await lightningAsync(dir, ['run', 'Translate "good morning" into French']);
    pm2.cli(['ls']);
    for (let i = 0; i < RUNS; i += 1) {
      runs.status.push(lightning(dir, ['status']).ms);
      const task = await lightningAsync(dir, ['run', `Translate sentence ${i} of the letter into French`]);
      if (!task.stdout.includes('done:')) throw new Error(`lightning run printed no answer: ${task.stdout}`);
      runs.run.push(task.ms);
      runs.pm2ls.push(pm2.cli(['ls']).ms);
      const started = performance.now();
      execFileSync(process.execPath, ['-e', '0']);
      runs.floor.push(performance.now() - started);
    }
  } finally {
    pm2.kill();
    lightning(dir, ['down']);
    removeDir(dir);
    await model.close();
  }
  console.log(`lightning status: ${summary(runs.status)}; pm2 ls: ${summary(runs.pm2ls)}`);
  console.log(`lightning run (instant model): ${summary(runs.run)}; node -e 0: ${summary(runs.floor)}`);
  const overFloor = (values) => fmt(median(values) - median(runs.floor));
  return [
    {
      id: 'cli',
      title: 'CLI latency',
      method:
        `Wall time of each command, ${RUNS} runs interleaved after one unmeasured run of each, against a running fleet of the six agents ` +
        '(lightning, with the instant model) and PM2 running the same six workers. `lightning run` routes a real task through the supervisor to a worker and the model and prints the answer.',
      rows: [
        { key: 'status', label: '`lightning status`', unit: 'ms', runs: runs.status },
        { key: 'pm2ls', label: '`pm2 ls`', unit: 'ms', runs: runs.pm2ls },
        { key: 'run', label: '`lightning run "…"` (instant model)', unit: 'ms', runs: runs.run },
        { key: 'floor', label: '`node -e 0` (floor)', unit: 'ms', runs: runs.floor },
      ],
      comparisons: [
        {
          figure: 'CLI: `lightning status` vs `pm2 ls`', subject: 'status', peer: 'pm2ls', peerName: '`pm2 ls`', headline: true,
          why: `both are a Node start plus a request to a daemon; \`lightning status\` spends ${overFloor(runs.status)} ms over a bare \`node -e 0\` (imports: commander, the API client, the table renderer)`,
        },
        {
          figure: 'CLI: `lightning run` with an instant model', subject: 'run', peer: 'floor', peerName: '`node -e 0`', floor: true, headline: true,
          why: `it is a whole task: Node start, imports, routing, the worker's model loop and the ledger — ${overFloor(runs.run)} ms over the bare Node start`,
        },
      ],
    },
  ];
}
