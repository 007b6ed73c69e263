#!/usr/bin/env node
// `npm run build` (after tsc): the esbuild bundles the npm package ships —
//   dist-bundle/cli.cjs    the `lightning` command's first file (bin/lightning.js imports it):
//                          src/cli/entry.ts, `status` and `tasks` in one small CommonJS file
//   dist-bundle/main.js    every other command (cli.cjs imports it)
//   dist-bundle/daemon.js  the detached supervisor `up -d` spawns
//   dist-bundle/worker.js  the built-in worker the supervisor spawns
// — the last three ESM, with the chunks they share (dist-bundle/*-HASH.js, beside them: every
// file one level below the package root, which is how src/util/install.ts finds the root from any
// of them). Split, not one file per entry: each command is imported when used, and compiling one
// 2.5 MB file cost `lightning status` ~60 ms more than the tsc output it replaces
// (bench/cli-builds.js); split, it loads only what the command needs. The two commands run most
// go further: one CommonJS file holding only their code loads in about half the time over a bare
// Node start that their ESM chunks take (resolving, linking and compiling each).
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
    entryPoints: { main: 'src/cli/main.ts', daemon: 'src/cli/daemon.ts', worker: 'src/worker/entry.ts' },
    outdir,
    format: 'esm',
    splitting: true,
    // CommonJS dependencies bundled into ESM still call require() for Node's built-ins.
    banner: { js: REQUIRE_BANNER },
    define: defines('bundle'),
    metafile: true,
  });
  dropUnusedRequireBanners(Object.keys(result.metafile.outputs).map((file) => path.join(ROOT, file)));
  const quick = await build({
    ...common,
    entryPoints: ['src/cli/entry.ts'],
    outfile: path.join(outdir, 'cli.cjs'),
    format: 'cjs',
    plugins: [...common.plugins, mainStaysOutside()],
    define: { ...defines('bundle'), 'import.meta.url': IMPORT_META_URL },
    banner: { js: `const ${IMPORT_META_URL} = require('node:url').pathToFileURL(__filename).href;` },
    metafile: true,
  });
  return { outdir, metafile: { outputs: { ...result.metafile.outputs, ...quick.metafile.outputs } } };
}

/** In the CommonJS cli.cjs, what src/util/install.ts reads as import.meta.url: the file's own URL. */
const IMPORT_META_URL = '__lightningImportMetaUrl';

/**
 * cli.cjs hands every other command to the ESM entry beside it (dist-bundle/main.js, the same
 * src/cli/main.ts) with import(), which stays an import() in CommonJS for Node 20.
 */
function mainStaysOutside() {
  return {
    name: 'main-stays-outside',
    setup(build) {
      build.onResolve({ filter: /^\.\/main\.js$/ }, (args) => (args.importer.endsWith(path.join('src', 'cli', 'entry.ts')) ? { path: './main.js', external: true } : undefined));
    },
  };
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
  const isEntry = (output) => ['cli.cjs', 'main.js', 'daemon.js', 'worker.js'].includes(output.file);
  const entries = outputs.filter(isEntry).map((output) => `${output.file} ${output.kib.toFixed(0)} KiB`);
  const chunks = outputs.filter((output) => !isEntry(output));
  const total = outputs.reduce((sum, output) => sum + output.kib, 0);
  console.log(`bundled ${entries.join(', ')} + ${chunks.length} shared chunks, ${(total / 1024).toFixed(1)} MiB in all, in ${Math.round(performance.now() - started)} ms`);
}
