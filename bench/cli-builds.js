// Cold start of the CLI by build: `lightning status` and `lightning tasks` run by the tsc output
// (node dist/cli/entry.js), the esbuild bundle the package ships (node bin/lightning.js →
// dist-bundle/cli.cjs) and the single executable (dist-binary/lightning, built here first when
// missing), against one running fleet of six, with `node -e 0` as the floor.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startInstantModel } from './instant-model.js';
import { QUICK, ROOT, env, lightning, lightningAsync, median, removeDir, sixAgentProject, summary } from './lib.js';

const RUNS = QUICK ? 5 : 20;
const BINARY = path.join(ROOT, 'dist-binary', 'lightning');

const BUILDS = [
  { key: 'tsc', name: 'tsc output', argv: [process.execPath, path.join(ROOT, 'dist/cli/entry.js')] },
  { key: 'bundle', name: 'bundle', argv: [process.execPath, path.join(ROOT, 'bin/lightning.js')] },
  { key: 'binary', name: 'single executable', argv: [BINARY] },
];
const COMMANDS = ['status', 'tasks'];

function timed(argv, dir) {
  const started = performance.now();
  const result = spawnSync(argv[0], argv.slice(1), { cwd: dir, env: env(), encoding: 'utf8' });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

export async function run() {
  if (!existsSync(BINARY)) {
    console.log('building the single executable (npm run build:binary)…');
    execFileSync(process.execPath, [path.join(ROOT, 'scripts/build-binary.mjs')], { cwd: ROOT, stdio: 'inherit' });
  }
  const model = await startInstantModel();
  const dir = sixAgentProject({ modelUrl: model.url });
  const runs = { floor: [] };
  for (const build of BUILDS) for (const command of COMMANDS) runs[`${command}-${build.key}`] = [];
  try {
    lightning(dir, ['up', '-d']);
    for (let i = 0; i < 5; i += 1) await lightningAsync(dir, ['run', `Translate sentence ${i} into French`]);
    // One of each first, unmeasured: the page cache.
    for (const build of BUILDS) for (const command of COMMANDS) timed([...build.argv, command], dir);
    for (let i = 0; i < RUNS; i += 1) {
      for (const build of BUILDS) for (const command of COMMANDS) runs[`${command}-${build.key}`].push(timed([...build.argv, command], dir));
      runs.floor.push(timed([process.execPath, '-e', '0'], dir));
    }
  } finally {
    lightning(dir, ['down']);
    removeDir(dir);
    await model.close();
  }
  for (const [key, values] of Object.entries(runs)) console.log(`${key}: ${summary(values)}`);
  const overFloor = (key) => Math.round(median(runs[key]) - median(runs.floor));
  const rows = [];
  for (const command of COMMANDS) {
    for (const build of BUILDS) rows.push({ key: `${command}-${build.key}`, label: `\`lightning ${command}\`, ${build.name}`, unit: 'ms', runs: runs[`${command}-${build.key}`] });
  }
  rows.push({ key: 'floor', label: '`node -e 0` (floor)', unit: 'ms', runs: runs.floor });
  return [
    {
      id: 'cli-builds',
      title: 'CLI cold start by build',
      method:
        `Wall time of \`lightning status\` and \`lightning tasks\` (5 tasks in the ledger) against one running fleet of the six agents, ${RUNS} runs of each build interleaved ` +
        'after one unmeasured run of each: the tsc output (`node dist/cli/entry.js`, resolving its dependencies from node_modules), the esbuild bundle the npm package ships ' +
        '(`node bin/lightning.js`: dist-bundle/cli.cjs, one CommonJS file holding these two commands, scripts/bundle.mjs) and the single executable (`dist-binary/lightning`, `npm run build:binary`, with V8 code cache); `node -e 0` alongside as the floor.',
      rows,
      comparisons: COMMANDS.flatMap((command) => [
        {
          figure: `CLI: \`lightning ${command}\`, bundle vs tsc output`, subject: `${command}-bundle`, peer: `${command}-tsc`, peerName: 'the tsc output',
          why: `the tsc output resolves and loads its ES modules file by file, the bundle one CommonJS file (${overFloor(`${command}-bundle`)} ms over the floor, against ${overFloor(`${command}-tsc`)} ms)`,
        },
        {
          figure: `CLI: \`lightning ${command}\`, single executable`, subject: `${command}-binary`, peer: 'floor', peerName: '`node -e 0`', floor: true,
          why: `${overFloor(`${command}-binary`)} ms over a bare Node start: the embedded program is compiled from its code cache and run`,
        },
      ]),
    },
  ];
}
