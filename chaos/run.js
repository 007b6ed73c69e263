// `npm run chaos`: every chaos scenario at full size against the built CLI, a summary with
// figures, and a non-zero exit when any bar is missed. Never part of `npm test` (its slim twin is
// test/integration/chaos.test.ts).
import os from 'node:os';
import { formatReport, hangingWorker, modelOutage, providerOutage, shippedFleet, supervisorKill, workerKills } from './index.js';

const log = (line) => console.log(`   · ${line}`);
// The fleet as shipped first: the repository's agents.yaml with its defaults. The rows after it
// run a generalist fleet; the one marked "tuned" has restart settings chosen for its scenario.
const tuned = (report) => ({ ...report, name: `${report.name} [extra row: tuned fleet, 3 generalists, maxRestarts 1000, resetAfter 2s, maxDelay 1s]` });
const scenarios = [
  () => shippedFleet({ tasks: 1000, concurrency: 50, killEveryMs: 500, log }),
  () => workerKills({ tasks: 1000, concurrency: 50, killEveryMs: 500, instances: 3, log }).then(tuned),
  () => supervisorKill({ concurrency: 50, completeBeforeKill: 300, instances: 2, log }),
  () => hangingWorker({ tasks: 300, concurrency: 20, instances: 2, log }),
  () => modelOutage({ tasks: 500, concurrency: 20, outageAfter: 100, outageMs: 2000, instances: 2, log }),
  () => providerOutage({ concurrency: 20, warmup: 100, outageMs: 10_000, afterMs: 8_000, instances: 2, log }),
];

const cpus = os.cpus();
console.log(`lightning chaos · ${new Date().toISOString()} · ${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, node ${process.version}`);
const only = process.argv.slice(2).map(Number).filter((n) => n >= 1 && n <= scenarios.length);
let missed = 0;
for (const [index, scenario] of scenarios.entries()) {
  if (only.length > 0 && !only.includes(index + 1)) continue;
  try {
    const report = await scenario();
    console.log(formatReport(report));
    missed += report.bars.filter((entry) => !entry.ok).length;
  } catch (error) {
    console.log(`── scenario ${index + 1} could not run: ${error.stack ?? error.message}`);
    missed += 1;
  }
}
console.log(missed === 0 ? 'chaos: every bar met' : `chaos: ${missed} bar(s) missed`);
process.exitCode = missed === 0 ? 0 : 1;
