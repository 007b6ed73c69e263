// `npm run bench`: every benchmark in bench/, figures printed; never part of `npm test`.
import { machine, nodeStartMs } from './lib.js';

const benches = ['./supervision.js'];

console.log(`lightning benchmarks · ${new Date().toISOString()} · ${machine()}`);
console.log(`floor: node -e 0 median ${nodeStartMs().toFixed(0)} ms`);
for (const bench of benches) {
  const { run } = await import(bench);
  await run();
}
