// A worker ready: from spawning the built-in worker as the supervisor spawns it (the bundle's
// dist-bundle/worker.cjs, handed its resolved agent from the repository's agents.yaml in
// LIGHTNING_AGENT_SPEC), to its first 200 on /health —
// against `node -e 0` run to exit, interleaved, as the floor (issue 17: ≤ 1.5× the floor).
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { QUICK, ROOT, env, freePorts, healthy, median, sleep, summary } from './lib.js';
import { loadConfig } from '../dist/config/load.js';

const RUNS = QUICK ? 5 : 20;
const WORKER = path.join(ROOT, 'dist-bundle', 'worker.cjs');
/** How often /health is asked while the worker starts; the supervisor's own rate is 15 ms. */
const POLL_MS = 2;

const AGENT = 'general_assistant';

async function workerReadyMs(port, spec) {
  const started = performance.now();
  const child = spawn(process.execPath, [WORKER, '--agent', AGENT, '--port', String(port)], {
    cwd: ROOT,
    env: { ...env(), OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_API_KEY: 'bench', LIGHTNING_AGENT_SPEC: spec },
    stdio: 'ignore',
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the worker exited ${child.exitCode} before it answered /health`);
      if (await healthy(port)) return performance.now() - started;
      if (performance.now() - started > 10_000) throw new Error('the worker did not answer /health within 10 s');
      await sleep(POLL_MS);
    }
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
  }
}

function nodeExitMs() {
  const started = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  return performance.now() - started;
}

export async function run() {
  const agent = loadConfig(path.join(ROOT, 'agents.yaml')).agents.find((candidate) => candidate.name === AGENT);
  if (!agent) throw new Error(`agents.yaml has no ${AGENT}`);
  const spec = JSON.stringify(agent);
  const runs = { worker: [], floor: [] };
  // One unmeasured start: the page cache.
  await workerReadyMs((await freePorts(1))[0], spec);
  for (let i = 0; i < RUNS; i += 1) {
    runs.worker.push(await workerReadyMs((await freePorts(1))[0], spec));
    runs.floor.push(nodeExitMs());
  }
  console.log(`worker ready (spawn → first /health 200): ${summary(runs.worker)}; node -e 0: ${summary(runs.floor)}`);
  return [
    {
      id: 'worker-start',
      title: 'A worker ready',
      method:
        `Wall time from spawning \`node dist-bundle/worker.cjs --agent general_assistant --port N\` with its resolved agent in LIGHTNING_AGENT_SPEC (what the supervisor does for the bundle) to its first ` +
        `200 on GET /health, polled every ${POLL_MS} ms from this process; ${RUNS} runs after one unmeasured start, each followed by a \`node -e 0\` run to exit as the floor.`,
      rows: [
        { key: 'worker', label: 'worker ready (spawn → /health 200)', unit: 'ms', runs: runs.worker },
        { key: 'floor', label: '`node -e 0` (floor)', unit: 'ms', runs: runs.floor },
      ],
      comparisons: [
        {
          figure: 'A worker ready', subject: 'worker', peer: 'floor', peerName: '`node -e 0`', floor: true,
          why: `${Math.round(median(runs.worker) - median(runs.floor))} ms over a bare Node start: the worker's own modules (its A2A endpoint and HTTP server) load and it listens; the model client loads with the first task`,
        },
      ],
    },
  ];
}
