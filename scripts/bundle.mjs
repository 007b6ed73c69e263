#!/usr/bin/env node
// `npm run build` (after tsc): the esbuild bundles the npm package ships, one entry per
// process lightning starts —
//   dist-bundle/cli.js      the `lightning` command (bin/lightning.js imports it)
//   dist-bundle/daemon.js   the detached supervisor `up -d` spawns
//   dist-bundle/worker.cjs  the built-in worker the supervisor spawns: its start-up code in one
//                           CommonJS file, and what it loads later (the A2A endpoint and model
//                           client with a task, MCP, joining, tracing) as ES module entries
//                           dist-bundle/worker-*.js and otel.js (workerBundle below)
// — and the chunks they share (dist-bundle/*-HASH.js, beside them: every file one level below the
// package root, which is how src/util/install.ts finds the root from any of them). Split, not one file per entry: each command
// is imported when used, and compiling one 2.5 MB file cost `lightning status` ~60 ms more than
// the tsc output it replaces (bench/cli-builds.js); split, it loads only what the command needs.
// Every dependency is inside; only the TypeScript compiler stays a runtime dependency (a
// TypeScript agent's start.mjs finds it next to `lightning`, see src/util/install.ts).
// scripts/build-binary.mjs reuses binaryBundle() for the single executable (one CommonJS file).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const VERSION = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Typed errors and names in stack traces stay readable; whitespace and syntax still shrink.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: ROOT,
  plugins: [leanUndici()],
};

/**
 * `import … from 'undici'` → scripts/undici-lean.cjs: Pool and request() without the rest of
 * undici's index (fetch, WebSocket, caches, mocks), which the supervisor otherwise compiles at boot
 * and keeps in memory (bench/idle.js, bench/supervision.js). Subpaths (undici/lib/…) resolve as usual.
 */
function leanUndici() {
  return {
    name: 'lean-undici',
    setup(build) {
      build.onResolve({ filter: /^undici$/ }, () => ({ path: path.join(ROOT, 'scripts', 'undici-lean.cjs') }));
    },
  };
}

/** What src/util/install.ts reads to know the build (strings, so esbuild inlines them). */
function defines(kind) {
  return { LIGHTNING_BUILD_KIND: JSON.stringify(kind), LIGHTNING_BUILD_VERSION: JSON.stringify(VERSION) };
}

/** The package's bundles under dist-bundle/. */
export async function packageBundles() {
  const outdir = path.join(ROOT, 'dist-bundle');
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    ...common,
    entryPoints: { cli: 'src/cli/main.ts', daemon: 'src/cli/daemon.ts', ...WORKER_LAZY },
    outdir,
    format: 'esm',
    splitting: true,
    // CommonJS dependencies bundled into ESM still call require() for Node's built-ins.
    banner: { js: REQUIRE_BANNER },
    define: defines('bundle'),
    metafile: true,
  });
  dropUnusedRequireBanners(Object.keys(result.metafile.outputs).map((file) => path.join(ROOT, file)));
  const worker = await workerBundle(path.join(outdir, 'worker.cjs'));
  return { outdir, metafile: { outputs: { ...result.metafile.outputs, ...worker.metafile.outputs } } };
}

/**
 * What the built-in worker loads after it listens, each an ES module entry of the split build
 * (dist-bundle/<name>.js) that worker.cjs imports by that name.
 */
const WORKER_LAZY = {
  'worker-rpc': 'src/worker/a2a/rpc-endpoint.ts',
  'worker-runner': 'src/worker/model/runner.ts',
  'worker-mcp': 'src/worker/mcp/servers.ts',
  'worker-join': 'src/worker/join.ts',
  otel: 'src/util/otel.ts',
};

/**
 * dist-bundle/worker.cjs: the worker's start-up code (argv, HTTP server, /health, agent card) in
 * one CommonJS file. Six workers boot at once on `up -d`, and each one's CPU is on that path:
 * Node's ES module loader and linking a dozen chunk files cost a worker ~15 ms of its ~25 ms of
 * CPU over a bare `node` start on the 2-core bench machine (one CommonJS file: ~10 ms). Every
 * dynamic import() in it must name one of WORKER_LAZY: the build fails on any other, so that
 * nothing heavy slips into the start-up file. Modules both sides use (defaults, the agent card,
 * tracing) are in it and in the ES chunks: stateless, except tracing's backend, kept on
 * globalThis for that reason (src/util/tracing.ts).
 */
async function workerBundle(outfile) {
  const lazy = new Map(Object.entries(WORKER_LAZY).map(([name, file]) => [path.join(ROOT, file), `./${name}.js`]));
  return build({
    ...common,
    entryPoints: ['src/worker/entry.ts'],
    outfile,
    format: 'cjs',
    define: { ...defines('bundle'), 'import.meta.url': '__lightningModuleUrl' },
    banner: { js: "const __lightningModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
    metafile: true,
    plugins: [
      ...common.plugins,
      {
        name: 'worker-lazy-entries',
        setup(build) {
          build.onResolve({ filter: /.*/ }, (args) => {
            if (args.kind !== 'dynamic-import') return undefined;
            const source = path.resolve(args.resolveDir, args.path).replace(/\.js$/, '.ts');
            const entry = lazy.get(source);
            if (entry) return { path: entry, external: true };
            return { errors: [{ text: `worker.cjs: import('${args.path}') is not one of WORKER_LAZY in scripts/bundle.mjs; add it there (an ES module entry loaded when needed)` }] };
          });
        },
      },
    ],
  });
}

const REQUIRE_BANNER = "import { createRequire as __lightningCreateRequire } from 'node:module'; const require = __lightningCreateRequire(import.meta.url);";

/**
 * esbuild puts the banner on every file; most chunks (lightning's own code) never call require(),
 * and each banner is one more import to link and one more createRequire at every start — of the
 * CLI, the daemon and each worker. Kept wherever the word appears at all (a string included).
 */
function dropUnusedRequireBanners(files) {
  for (const file of files.filter((name) => name.endsWith('.js'))) {
    const text = readFileSync(file, 'utf8');
    if (!text.startsWith(REQUIRE_BANNER)) continue;
    const body = text.slice(REQUIRE_BANNER.length);
    if (!/\brequire\b/.test(body)) writeFileSync(file, body.replace(/^\n/, ''));
  }
}

/** The single executable's program: everything in one CommonJS file (a SEA's main script is CommonJS). */
export async function binaryBundle(outfile) {
  await build({
    ...common,
    entryPoints: ['src/cli/binary-entry.ts'],
    outfile,
    format: 'cjs',
    // src/util/install.ts reads import.meta.url only outside the binary; should anything reach it
    // here, it fails loudly (a ReferenceError) instead of resolving paths against nothing.
    define: { ...defines('binary'), 'import.meta.url': 'lightningBinaryHasNoImportMetaUrl' },
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const { outdir, metafile } = await packageBundles();
  const outputs = Object.entries(metafile.outputs).map(([file, output]) => ({ file: path.relative(outdir, path.join(ROOT, file)), kib: output.bytes / 1024 }));
  const isEntry = (output) => ['cli.js', 'daemon.js', 'worker.cjs'].includes(output.file);
  const entries = outputs.filter(isEntry).map((output) => `${output.file} ${output.kib.toFixed(0)} KiB`);
  const chunks = outputs.filter((output) => !isEntry(output));
  const total = outputs.reduce((sum, output) => sum + output.kib, 0);
  console.log(`bundled ${entries.join(', ')} + ${chunks.length} shared chunks, ${(total / 1024).toFixed(1)} MiB in all, in ${Math.round(performance.now() - started)} ms`);
}
