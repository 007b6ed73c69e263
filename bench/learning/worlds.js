// The learned router in simulated worlds, against the static matcher: regret curves.
//
// The router is the product's own (dist/router/router.js, the repository's agents.yaml, default
// policy), fed the ledger events the dispatcher writes: a submission, then the picked agent's
// attempt, its outcome drawn from the world's success probability for that agent and task (a
// failed outcome ends the task: the dispatcher fails over only when an instance is unreachable);
// in world (d) every attempt completes and the user's `feedback` carries the verdict instead. Every world
// interleaves its kind of task with tasks of four other kinds that everyone does well, to show
// those keep their routing. Seeded: runs repeat exactly.
//
// Part of `npm run bench` (id `learning-worlds`); alone: `node bench/learning/worlds.js`
// (after `npm run build`), which measures only this and patches its section into bench/REPORT.md
// and bench/report.json.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const BLOCK = 25;
const SEEDS = [1, 2, 3, 4, 5];

const { loadConfig } = await import(pathToFileURL(path.join(ROOT, 'dist/config/load.js')).href);
const { profileFromConfig } = await import(pathToFileURL(path.join(ROOT, 'dist/router/match.js')).href);
const { TaskRouter } = await import(pathToFileURL(path.join(ROOT, 'dist/router/router.js')).href);

const profiles = loadConfig(path.join(ROOT, 'agents.yaml')).agents.map(profileFromConfig);

function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const things = ['cart', 'checkout', 'search', 'pricing', 'invoice', 'profile', 'wishlist', 'billing'];
const unitTests = (n) => `Write unit tests for the ${things[n % things.length]} component`;
const dashboard = (n) => `${['Build', 'Create', 'Make'][n % 3]} a sales dashboard in React for the ${['north', 'south', 'east', 'west'][Math.floor(n / 3) % 4]} region`;
const reactTests = (n) => `Write jest tests for the ${['navbar', 'modal', 'signup form', 'date picker'][n % 4]} React component`;
const OTHERS = [
  (n) => `Plot monthly revenue from sales_${n}.csv and describe the trend`,
  (n) => `Translate paragraph ${n} of this letter into ${['French', 'Spanish', 'German'][n % 3]}`,
  (n) => `Review this JWT authentication middleware (${n}) for vulnerabilities`,
  (n) => `Set up a CI pipeline that deploys service ${n} to staging on every merge`,
];

/**
 * A world: its kind of task, the success probability p(agent, i) of an attempt on the i-th task of
 * that kind, the agent it should go to, and whether the verdict comes as feedback.
 */
const WORLDS = [
  {
    id: 'a',
    title: '(a) a sole specialist failing 90 % of its kind',
    what: 'qa_tester, the only plausible match for "Write unit tests for the cart component" (web_developer matches 0.27, under the plausibility bar), completes 10 % of them, web_developer 95 %, the others 50 %',
    tasks: 300,
    input: unitTests,
    p: (agent) => (agent === 'qa_tester' ? 0.1 : agent === 'web_developer' ? 0.95 : 0.5),
    right: () => 'web_developer',
  },
  {
    id: 'b',
    title: '(b) two specialists, the better one degrades half-way',
    what: '"Build a sales dashboard in React": data_analyst (the static pick) completes 95 %, web_developer 80 %; from task 201 on data_analyst completes 20 %; the others 50 %',
    tasks: 400,
    input: dashboard,
    p: (agent, i) => (agent === 'data_analyst' ? (i < 200 ? 0.95 : 0.2) : agent === 'web_developer' ? 0.8 : 0.5),
    right: (i) => (i < 200 ? 'data_analyst' : 'web_developer'),
  },
  {
    id: 'c',
    title: '(c) equal agents',
    what: 'every agent completes 90 % of every task; the kind is "Write jest tests for the navbar React component" (web_developer 0.65, qa_tester 0.35 plausible): the right agent is the static pick, and any move is churn',
    tasks: 300,
    input: reactTests,
    p: () => 0.9,
    right: null,
  },
  {
    id: 'd',
    title: '(d) feedback only, no failures',
    what: 'every attempt completes; on "Write jest tests for the navbar React component" the user rates web_developer\'s results (the static pick) bad 90 % of the time with `lightning feedback`, qa_tester\'s good 95 %, the others\' 50 %',
    tasks: 300,
    input: reactTests,
    p: (agent) => (agent === 'web_developer' ? 0.1 : agent === 'qa_tester' ? 0.95 : 0.5),
    right: () => 'qa_tester',
    feedback: true,
  },
];

/** One run of a world under one policy (learn: true = the default policy; false = static matching). */
function simulate(world, learn, seed) {
  const router = new TaskRouter(() => ({ version: 0, profiles }), learn);
  const random = mulberry32(seed);
  let clock = Date.parse('2026-01-01T00:00:00Z');
  let id = 0;
  const ts = () => new Date((clock += 1000)).toISOString();
  const kind = [];
  const others = [];
  const run = (input, p, feedback) => {
    const taskId = `t${++id}`;
    const decision = router.route(input);
    router.learnFrom({ v: 1, ts: ts(), taskId, event: 'task.submitted', input, agent: null, timeoutMs: 1000 });
    let failed = 0;
    let good = false;
    for (const [index, { agent }] of decision.ranked.slice(0, 1).entries()) {
      const success = random() < p(agent);
      if (feedback) {
        router.learnFrom({ v: 1, ts: ts(), taskId, event: 'task.attempt', attempt: index + 1, agent, instance: 0, status: 'completed', error: null, durationMs: 1 });
        router.learnFrom({ v: 1, ts: ts(), taskId, event: 'feedback', rating: success ? 'good' : 'bad', note: null });
        good = success;
        break;
      }
      router.learnFrom({ v: 1, ts: ts(), taskId, event: 'task.attempt', attempt: index + 1, agent, instance: 0, status: success ? 'completed' : 'failed', error: success ? null : 'failed', durationMs: 1 });
      if (success) {
        good = true;
        break;
      }
      failed += 1;
    }
    return { decision, first: decision.pick, failed, good };
  };
  for (let i = 0; i < world.tasks; i++) {
    const outcome = run(world.input(i), (agent) => world.p(agent, i), world.feedback);
    const best = Math.max(...profiles.map((profile) => world.p(profile.name, i)));
    kind.push({ ...outcome, right: world.right ? world.right(i) : outcome.decision.static, regret: best - world.p(outcome.first, i) });
    // One task of another kind every other task, which everyone does well.
    if (i % 2 === 1) others.push(run(OTHERS[(i >> 1) % OTHERS.length](i), () => 0.95, false));
  }
  return { kind, others };
}

function blocks(values, reduce) {
  const out = [];
  for (let start = 0; start < values.length; start += BLOCK) out.push(reduce(values.slice(start, start + BLOCK)));
  return out;
}

const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
const round = (value, digits = 0) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Per block, averaged over seeds: share to the right agent, failed attempts (or bad results) per 100 tasks, regret. */
function measure(world, learn) {
  const runs = SEEDS.map((seed) => simulate(world, learn, seed));
  const perSeed = (f) => runs.map((r) => blocks(r.kind, f));
  const average = (series) => series[0].map((_, b) => mean(series.map((s) => s[b])));
  const share = average(perSeed((block) => block.filter((t) => t.first === t.right).length / block.length));
  const failures = average(perSeed((block) => (100 * block.reduce((sum, t) => sum + (world.feedback ? (t.good ? 0 : 1) : t.failed), 0)) / block.length));
  const regret = average(perSeed((block) => (100 * block.reduce((sum, t) => sum + t.regret, 0)) / block.length));
  const leftStatic = mean(runs.map((r) => r.kind.filter((t) => t.first !== t.decision.static).length / r.kind.length));
  const othersAsStatic = mean(runs.map((r) => r.others.filter((t) => t.first === t.decision.static).length / r.others.length));
  const lastShare = mean(runs.map((r) => r.kind.slice(-50).filter((t) => t.first === t.right).length / 50));
  return { share, failures, regret, leftStatic, othersAsStatic, lastShare, total: mean(runs.map((r) => r.kind.reduce((sum, t) => sum + t.regret, 0))) };
}

export async function run() {
  const rows = [];
  const notes = [];
  console.log(`learning worlds: ${SEEDS.length} seeds each, blocks of ${BLOCK} tasks of the world's kind`);
  for (const world of WORLDS) {
    const learned = measure(world, true);
    const statik = measure(world, false);
    const failWord = world.feedback ? 'bad results' : 'failures';
    const percent = (values) => values.map((v) => round(v * 100));
    rows.push(
      { key: `${world.id}-share`, label: `${world.title}: share to the right agent per block, learned`, unit: '%', runs: percent(learned.share), series: true },
      { key: `${world.id}-share-static`, label: '  ↳ static matcher', unit: '%', runs: percent(statik.share), series: true },
      { key: `${world.id}-fail`, label: `  ${failWord} per 100 tasks per block, learned`, unit: '', runs: learned.failures.map((v) => round(v)), series: true },
      { key: `${world.id}-fail-static`, label: '  ↳ static matcher', unit: '', runs: statik.failures.map((v) => round(v)), series: true },
      { key: `${world.id}-regret`, label: '  regret per block (success points lost per 100 tasks vs the best agent), learned', unit: '', runs: learned.regret.map((v) => round(v)), series: true },
      { key: `${world.id}-regret-static`, label: '  ↳ static matcher', unit: '', runs: statik.regret.map((v) => round(v)), series: true },
    );
    const line =
      `${world.title} — ${world.what}. Last 50 tasks to the right agent: learned ${round(learned.lastShare * 100)} %, static ${round(statik.lastShare * 100)} %; ` +
      `cumulative regret over ${world.tasks} tasks: learned ${round(learned.total, 1)}, static ${round(statik.total, 1)}; ` +
      `tasks leaving the static pick: ${round(learned.leftStatic * 100, 1)} %; other kinds routed as static matching does: ${round(learned.othersAsStatic * 100, 1)} %.`;
    notes.push(line);
    console.log(`  ${line}`);
  }
  return [
    {
      id: 'learning-worlds',
      title: 'The router learns: regret in simulated worlds',
      method:
        'The product\'s router (dist/router, the repository\'s agents.yaml, default policy) fed the ledger events the dispatcher writes — a submission, then the picked agent\'s attempt, ' +
        'its outcome drawn from the world\'s success probability (a failed outcome ends the task, as in the dispatcher); in (d) every attempt completes and the verdict comes as feedback — beside the ' +
        `static matcher (\`routing: { learn: false }\`) in the same world. Each world runs its kind of task interleaved with tasks of four other kinds, ${SEEDS.length} seeds; every series has one value per block of ${BLOCK} tasks of the kind, ` +
        'averaged over the seeds. `node bench/learning/worlds.js` reruns only this section.\n\n' +
        notes.map((note) => `- ${note}`).join('\n'),
      rows,
      comparisons: [],
    },
  ];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { JSON_PATH, writeReport } = await import('../report.js');
  const sections = await run();
  const report = JSON.parse(readFileSync(JSON_PATH, 'utf8'));
  for (const section of sections) {
    const at = report.sections.findIndex((existing) => existing.id === section.id);
    if (at === -1) report.sections.push(section);
    else report.sections[at] = section;
  }
  writeReport(report);
  console.log(`patched the ${sections.map((s) => s.id).join(', ')} section into bench/REPORT.md and bench/report.json`);
}
