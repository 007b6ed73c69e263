// `npm run bench`: every benchmark in bench/, figures printed as they come, then bench/REPORT.md
// and bench/report.json written. `-- --quick` for a trial run; `-- --only cold-start,cli` to run
// some (ids as in the report). Never part of `npm test`.
import { execFileSync } from 'node:child_process';
import { EXTRA_CA, QUICK, ROOT, env, machine, machineInfo, median, nodeStartRuns, stopFleets } from './lib.js';
import { Pm2, ensurePm2, pm2Version } from './pm2.js';
import { MD_PATH, writeReport } from './report.js';

const BENCHES = [
  { file: './supervision.js', ids: ['cold-start', 'crash-recovery'] },
  { file: './tasks.js', ids: ['routing', 'in-flight'] },
  { file: './idle.js', ids: ['idle'] },
  { file: './cli.js', ids: ['cli'] },
  { file: './cli-builds.js', ids: ['cli-builds'] },
  { file: './worker-start.js', ids: ['worker-start'] },
  { file: './sizes.js', ids: ['sizes'] },
  { file: './ledger.js', ids: ['ledger'] },
  { file: './learning/simulation.js', ids: ['learning'] },
  { file: './learning/worlds.js', ids: ['learning-worlds'] },
];

const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex === -1 ? null : (process.argv[onlyIndex + 1] ?? '').split(',');

// Whatever happens, no fleet and no PM2 daemon is left behind.
const cleanUp = () => {
  stopFleets();
  Pm2.killAll();
};
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping fleets and PM2`);
    process.exit(130);
  });
}

ensurePm2();
const started = performance.now();
const date = new Date().toISOString();
console.log(`lightning benchmarks${QUICK ? ' (quick)' : ''} · ${date} · ${machine()}`);
const info = { ...machineInfo(), floorRuns: nodeStartRuns(QUICK ? 5 : 10) };
if (EXTRA_CA) Object.assign(info, { extraCa: EXTRA_CA, floorRunsWithoutExtraCa: nodeStartRuns(QUICK ? 5 : 10, env({ extraCa: false })) });
console.log(`floor: node -e 0 median ${median(info.floorRuns).toFixed(0)} ms`);

const sections = [];
for (const bench of BENCHES) {
  if (only && !bench.ids.some((id) => only.includes(id))) continue;
  const benchStarted = performance.now();
  const { run } = await import(bench.file);
  const produced = await run();
  sections.push(...produced.filter((section) => !only || only.includes(section.id)));
  console.log(`  (${bench.file}: ${((performance.now() - benchStarted) / 1000).toFixed(0)} s)`);
}

let commit = null;
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {
  // Not a git checkout: the report just has no commit.
}
const report = { version: 1, date, quick: QUICK, only, commit, durationS: (performance.now() - started) / 1000, machine: info, pm2Version: pm2Version(), sections };
writeReport(report);
console.log(`wrote ${MD_PATH} and report.json in ${report.durationS.toFixed(0)} s`);
