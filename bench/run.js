// `npm run bench`: every benchmark in bench/, figures printed; never part of `npm test`.
import { machine, nodeStartMs } from './lib.js';

const benches = ['./supervision.js', './ledger.js', './tasks.js', './learning/simulation.js'];

console.log(`lightning benchmarks · ${new Date().toISOString()} · ${machine()}`);
const floor = nodeStartMs();
console.log(`floor: node -e 0 median ${floor.toFixed(0)} ms (the targets were set where it took 46 ms)`);
for (const bench of benches) {
  const { run } = await import(bench);
  await run({ floor });
}
