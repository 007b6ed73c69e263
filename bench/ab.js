// `node bench/ab.js MEASURE RUNS CHECKOUT_A CHECKOUT_B`: one figure of two builds, interleaved, so
// that both see the same moments of a shared machine (on the 2-core bench machine a figure moves
// by up to 1.5× between runs, far more than most changes; only A/B in the same loop shows them).
// Each checkout must be built (`npm run build`). MEASURE is one of:
//   up      `lightning up -d` → six agents healthy, the repository's agents.yaml (each checkout its
//           own project dir, primed by one unmeasured start), with the first worker spawn and the
//           last worker ready from the logs; each run followed by `down`
//   status  `lightning status` against one fleet (A's), beside `node -e 0` each round
//   cpu     the supervisor's CPU per task and the tasks' p50 from each checkout's bench/profile.js
//           --no-profile (AB_TASKS tasks at AB_CONCURRENCY, default 10000 at 100; at 1, the p50
//           moves with the routing overhead, the direct call to the same workers being the same)
// The order alternates each round (A B, B A, …). Prints medians and B ÷ A. Never part of
// `npm test` or `npm run bench`: a tool for deciding whether a change pays.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { coldStartTimeline, lightning, median, removeDir, sixAgentProject } from './lib.js';

const [measure, runsText, ...checkouts] = process.argv.slice(2);
const RUNS = Number(runsText);
if (!['up', 'status', 'cpu'].includes(measure) || !(RUNS > 0) || checkouts.length !== 2) {
  console.error('usage: node bench/ab.js up|status|cpu RUNS CHECKOUT_A CHECKOUT_B');
  process.exit(2);
}
const [A, B] = checkouts.map((checkout) => path.resolve(checkout));

/** `lightning ARGS` of `checkout`, in `dir`: wall ms (throws on a non-zero exit). */
function lightningOf(checkout, dir, args) {
  return lightning(dir, args, path.join(checkout, 'bin', 'lightning.js')).ms;
}

/** Each round's order: A B, then B A, … */
function* rounds() {
  for (let round = 0; round < RUNS; round += 1) yield round % 2 === 0 ? [A, B] : [B, A];
}

const figures = { [A]: {}, [B]: {} };
const add = (checkout, name, value) => (figures[checkout][name] ??= []).push(value);

if (measure === 'up') {
  const dirs = { [A]: sixAgentProject(), [B]: sixAgentProject() };
  try {
    for (const checkout of [A, B]) {
      lightningOf(checkout, dirs[checkout], ['up', '-d']);
      lightningOf(checkout, dirs[checkout], ['down']);
    }
    for (const order of rounds()) {
      for (const checkout of order) {
        const since = Date.now();
        add(checkout, 'up -d → six healthy (ms)', lightningOf(checkout, dirs[checkout], ['up', '-d']));
        const { firstSpawn, lastReady } = coldStartTimeline(dirs[checkout], since);
        add(checkout, '  first worker spawned (ms)', firstSpawn);
        add(checkout, '  last worker ready (ms)', lastReady);
        lightningOf(checkout, dirs[checkout], ['down']);
      }
    }
  } finally {
    for (const checkout of [A, B]) {
      try {
        lightningOf(checkout, dirs[checkout], ['down']);
      } catch {
        // Not running: nothing to stop.
      }
      removeDir(dirs[checkout]);
    }
  }
} else if (measure === 'status') {
  const dir = sixAgentProject();
  const floor = [];
  try {
    lightningOf(A, dir, ['up', '-d']);
    for (const checkout of [A, B]) lightningOf(checkout, dir, ['status']);
    for (const order of rounds()) {
      for (const checkout of order) add(checkout, '`lightning status` (ms)', lightningOf(checkout, dir, ['status']));
      const started = performance.now();
      execFileSync(process.execPath, ['-e', '0']);
      floor.push(performance.now() - started);
    }
  } finally {
    lightningOf(A, dir, ['down']);
    removeDir(dir);
  }
  for (const checkout of [A, B]) figures[checkout]['`status` ÷ `node -e 0`'] = [median(figures[checkout]['`lightning status` (ms)']) / median(floor)];
  console.log(`node -e 0: ${median(floor).toFixed(1)} ms`);
} else {
  const tasks = process.env.AB_TASKS ?? '10000';
  const concurrency = process.env.AB_CONCURRENCY ?? '100';
  for (const order of rounds()) {
    for (const checkout of order) {
      const out = execFileSync(process.execPath, [path.join(checkout, 'bench', 'profile.js'), '--no-profile', '--tasks', tasks, '--concurrency', concurrency], { cwd: checkout, encoding: 'utf8' });
      const cpu = /supervisor CPU ([\d.]+) ms\/task/.exec(out);
      if (!cpu) throw new Error(`${checkout}: no CPU figure in bench/profile.js's output:\n${out}`);
      add(checkout, `supervisor CPU per task, c=${concurrency} (ms)`, Number(cpu[1]));
      add(checkout, `p50 through the supervisor, c=${concurrency} (ms)`, Number(/p50 ([\d.]+) ms/.exec(out)?.[1]));
    }
  }
}

console.log(`${RUNS} interleaved rounds; A = ${A}, B = ${B}`);
for (const name of Object.keys(figures[A])) {
  const a = median(figures[A][name]);
  const b = median(figures[B][name]);
  console.log(`${name}: A ${a.toFixed(2)}, B ${b.toFixed(2)}, B ÷ A ${(b / a).toFixed(3)}`);
}
