#!/usr/bin/env node
// `npm run build` (after tsc): the esbuild bundles the npm package ships. What each process
// lightning starts loads first is one CommonJS file, which Node starts with less CPU than a graph
// of ES module chunks (resolving, linking and compiling each):
//   dist-bundle/cli.cjs     the `lightning` command's first file (bin/lightning.js requires it):
//                           src/cli/entry.ts, `status` and `tasks` and nothing else
//   dist-bundle/up.cjs      `lightning up -d` (cli.cjs requires it): on the path of a fleet's start
//   dist-bundle/main.js     every other command (cli.cjs imports it): an ES module entry whose
//                           chunks each command loads when used
//   dist-bundle/daemon.cjs  the detached supervisor `up -d` spawns: a small file that runs
//                           daemon-main.cjs, all of lightning's own code it runs in one CommonJS
//                           file, through a V8 code cache; the libraries in dist-bundle/vendor-*.cjs
//                           loaded when first used (daemonBundle below)
//   dist-bundle/worker.cjs  the built-in worker the supervisor spawns: its start-up code in one
//                           CommonJS file, and what it loads later (the A2A endpoint and model
//                           client with a task, MCP, joining, tracing) as ES module entries
//                           dist-bundle/worker-*.js and otel.js (workerBundle below)
// — and the chunks the ES module entries share (dist-bundle/*-HASH.js, beside them: every file one
// level below the package root, which is how src/util/install.ts finds the root from any of them).
// The command line is split, not one file: compiling one 2.5 MB file cost `lightning status` ~60 ms
// more than the tsc output it replaces (bench/cli-builds.js); split, it loads only what the command
// needs, and the two commands run most have their own small file.
// Every dependency is inside; only the TypeScript compiler stays a runtime dependency (a
// TypeScript agent's start.mjs finds it next to `lightning`, see src/util/install.ts).
// scripts/build-binary.mjs reuses binaryBundle() for the single executable (one CommonJS file).
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const VERSION = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Typed errors and names in stack traces stay readable; whitespace and syntax still shrink.
  // LIGHTNING_BUNDLE_PLAIN=1 keeps lines and esbuild's `// src/file.ts` markers, so that
  // bench/profile.js can say which source file a sample fell in.
  minifyWhitespace: !process.env.LIGHTNING_BUNDLE_PLAIN,
  minifySyntax: !process.env.LIGHTNING_BUNDLE_PLAIN,
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
    entryPoints: { main: 'src/cli/main.ts', ...WORKER_LAZY },
    outdir,
    format: 'esm',
    splitting: true,
    // CommonJS dependencies bundled into ESM still call require() for Node's built-ins.
    banner: { js: REQUIRE_BANNER },
    define: defines('bundle'),
    metafile: true,
  });
  dropUnusedRequireBanners(Object.keys(result.metafile.outputs).map((file) => path.join(ROOT, file)));
  const quick = await commonJsFile('src/cli/entry.ts', path.join(outdir, 'cli.cjs'), { plugins: [handedOn()] });
  const up = await upFiles(outdir);
  const worker = await workerBundle(path.join(outdir, 'worker.cjs'));
  const daemon = await daemonBundle(outdir);
  return { outdir, metafile: { outputs: { ...result.metafile.outputs, ...quick.metafile.outputs, ...up.metafile.outputs, ...worker.metafile.outputs, ...daemon.metafile.outputs } } };
}

/**
 * One of the package's small CommonJS files (cli.cjs, up.cjs and what it requires, daemon.cjs):
 * `entry` bundled with what it imports, through `plugins`. `requireImports`: every import() becomes
 * a require() (see handedOn: an import() of CommonJS is slow, and vm.Script has none on Node 20).
 */
function commonJsFile(entry, outfile, { plugins = [], requireImports = false, define = {} } = {}) {
  const options = commonJsBundle();
  return build({
    ...common,
    entryPoints: [entry],
    outfile,
    format: 'cjs',
    plugins: [...common.plugins, ...plugins],
    ...options,
    define: { ...options.define, ...define },
    ...(requireImports ? { supported: { 'dynamic-import': false } } : {}),
    metafile: true,
  });
}

/**
 * What the package's CommonJS files (cli.cjs, up.cjs, daemon.cjs, worker.cjs) share: the build's defines,
 * and for src/util/install.ts's import.meta.url (which CommonJS has not) the file's own URL.
 */
function commonJsBundle() {
  return {
    define: { ...defines('bundle'), 'import.meta.url': '__lightningModuleUrl' },
    banner: { js: "const __lightningModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  };
}

/**
 * cli.cjs hands `up -d` to up.cjs and every other command to the ESM entry beside it
 * (dist-bundle/main.js, the same src/cli/main.ts). main.js with import(), which stays an import()
 * in CommonJS for Node 20 (~5 ms for the ES module loader to start, where main.js's graph costs
 * ~35); up.cjs with require(): an import() of a CommonJS file has Node's ES module loader lex all
 * of it for its export names first (~100 ms for a 460 KB file on the bench machine).
 */
function handedOn() {
  const fromEntry = (args) => args.importer.endsWith(path.join('src', 'cli', 'entry.ts'));
  return {
    name: 'handed-on',
    setup(build) {
      build.onResolve({ filter: /^\.\/main\.js$/ }, (args) => (fromEntry(args) ? { path: './main.js', external: true } : undefined));
      build.onResolve({ filter: /^\.\/up-entry\.js$/ }, (args) => (fromEntry(args) ? { path: 'up.cjs', namespace: 'require-up' } : undefined));
      build.onLoad({ filter: /.*/, namespace: 'require-up' }, () => ({ contents: "require('./up.cjs');", loader: 'js' }));
      build.onResolve({ filter: /^\.\/up\.cjs$/ }, () => ({ path: './up.cjs', external: true }));
    },
  };
}

/**
 * up.cjs, and beside it what it requires only when agents.yaml changed since the last `up -d`:
 * config-load.cjs, the YAML parser and the schema (src/config/load.ts, ~400 KB) behind the config
 * cache (src/config/cached-load.ts). Left in up.cjs, compiling them cost ~14 ms of every
 * `up -d`, before the daemon is spawned, though a cached config never runs them. The config's
 * error class is one file both require (config-errors.cjs), so that the ConfigError load.ts throws
 * is the one up.cjs's error handler knows.
 */
async function upFiles(outdir) {
  const errorsFile = path.join(ROOT, 'src', 'config', 'errors.ts');
  const loadFile = path.join(ROOT, 'src', 'config', 'load.ts');
  const apart = (external) => ({
    name: 'config-loader-apart',
    setup(build) {
      build.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => {
        const source = path.resolve(args.resolveDir, args.path).replace(/\.js$/, '.ts');
        const file = external.get(source);
        return file ? { path: `./${file}`, external: true } : undefined;
      });
    },
  });
  // import() of the files apart becomes require().
  const errors = await commonJsFile('src/config/errors.ts', path.join(outdir, 'config-errors.cjs'), { requireImports: true });
  const load = await commonJsFile('src/config/load.ts', path.join(outdir, 'config-load.cjs'), {
    plugins: [apart(new Map([[errorsFile, 'config-errors.cjs']]))],
    requireImports: true,
  });
  const up = await commonJsFile('src/cli/up-entry.ts', path.join(outdir, 'up.cjs'), {
    plugins: [noForegroundSupervisor(), apart(new Map([[errorsFile, 'config-errors.cjs'], [loadFile, 'config-load.cjs']]))],
    requireImports: true,
  });
  return { metafile: { outputs: { ...errors.metafile.outputs, ...load.metafile.outputs, ...up.metafile.outputs } } };
}

/**
 * up.cjs runs `up -d` only: the foreground supervisor `lightning up` would import (all of the
 * supervisor) is left out of it. Should anything reach that import, it fails loudly naming this.
 */
function noForegroundSupervisor() {
  return {
    name: 'no-foreground-supervisor',
    setup(build) {
      build.onResolve({ filter: /^\.\.\/supervise\.js$/ }, () => ({ path: 'lightning-up-cjs-runs-only-up-detached', external: true }));
    },
  };
}

/**
 * The libraries the daemon uses, in groups (a group's packages share code, or classes checked with
 * instanceof across them, so they are one file): dist-bundle/<group>.cjs, each loaded the first
 * time the daemon imports one of its packages. Importing any other package fails the build.
 */
const DAEMON_VENDOR = {
  'vendor-a2a': ['@a2a-js/sdk/errors', '@a2a-js/sdk/server', '@a2a-js/sdk/compat/v0_3/server'],
  'vendor-otel': ['@opentelemetry/api', '@opentelemetry/exporter-trace-otlp-proto', '@opentelemetry/resources', '@opentelemetry/sdk-trace-base'],
  'vendor-prom-client': ['prom-client'],
  'vendor-chokidar': ['chokidar'],
  'vendor-undici': ['undici'],
};

/**
 * Libraries inside daemon-main.cjs itself: the config parser and schema, which the daemon loads once
 * its task side is up anyway (so they cost no more memory there), and which only the bundler can
 * trim to what lightning uses (`import * as z` in a vendor file would keep all of zod, its
 * locales included: ~450 KB more in the idle daemon's memory).
 */
const DAEMON_INLINE = ['yaml', 'zod'];

/**
 * dist-bundle/daemon-main.cjs (which daemon.cjs runs through a V8 code cache, see daemonBundle's end): the
 * detached supervisor, all of lightning's own code it runs (what loads after start-up included) in
 * one CommonJS file. Linking its ~40 ES module chunks cost the daemon
 * ~30 ms of CPU (138 → 106 ms from exec to its modules loaded, 2-core bench machine), all of it
 * before the first worker is spawned. Everything lightning-owned being in this one file, no class
 * exists twice in the daemon (an error thrown by the task side is the one the API checks for);
 * the libraries stay out (compiling them at every start would cost more than the ES modules did)
 * and come from DAEMON_VENDOR's files, each one a single copy too.
 */
async function daemonBundle(outdir) {
  const groupOf = new Map(Object.entries(DAEMON_VENDOR).flatMap(([group, specs]) => specs.map((spec) => [spec, group])));
  const vendor = await build({
    ...common,
    entryPoints: Object.fromEntries(Object.keys(DAEMON_VENDOR).map((group) => [group, `vendor-group:${group}`])),
    outdir,
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    metafile: true,
    plugins: [
      ...common.plugins,
      {
        name: 'vendor-groups',
        setup(build) {
          build.onResolve({ filter: /^vendor-group:/ }, (args) => ({ path: args.path.slice('vendor-group:'.length), namespace: 'vendor-group' }));
          build.onLoad({ filter: /.*/, namespace: 'vendor-group' }, (args) => {
            const specs = DAEMON_VENDOR[args.path];
            const imports = specs.map((spec, i) => `import * as m${i} from ${JSON.stringify(spec)};`).join('\n');
            const table = specs.map((spec, i) => `${JSON.stringify(spec)}: m${i}`).join(', ');
            return { contents: `${imports}\nexport const modules = { ${table} };\n`, resolveDir: ROOT, loader: 'js' };
          });
        },
      },
    ],
  });
  const names = new Map();
  const exportNames = async (spec) => {
    if (!names.has(spec)) {
      const target = spec === 'undici' ? pathToFileURL(path.join(ROOT, 'scripts', 'undici-lean.cjs')).href : spec;
      names.set(spec, Object.keys(await import(target)));
    }
    return names.get(spec);
  };
  const mainFile = path.join(outdir, 'daemon-main.cjs');
  const daemon = await build({
    ...common,
    entryPoints: ['src/cli/daemon.ts'],
    outfile: mainFile,
    format: 'cjs',
    ...commonJsBundle(),
    // import() of a built-in becomes a require(): daemon-start.ts compiles this file with vm.Script,
    // which (on Node 20) has no loader for a dynamic import.
    supported: { 'dynamic-import': false },
    metafile: true,
    plugins: [
      {
        name: 'daemon-vendor',
        setup(build) {
          build.onResolve({ filter: /^\.\/vendor-[a-z0-9-]+\.cjs$/ }, (args) => ({ path: args.path, external: true }));
          build.onResolve({ filter: /^[^./]/ }, (args) => {
            // Only lightning's own imports: an inlined library's own dependencies resolve as usual.
            const own = args.importer.startsWith(path.join(ROOT, 'src') + path.sep);
            if (!own || isBuiltin(args.path) || DAEMON_INLINE.includes(args.path)) return undefined;
            if (!groupOf.has(args.path)) {
              return { errors: [{ text: `daemon-main.cjs: the package "${args.path}" is in no group of DAEMON_VENDOR in scripts/bundle.mjs; add it to one` }] };
            }
            return { path: args.path, namespace: 'daemon-vendor' };
          });
          // The package as an ES module whose exports are read from its group's file.
          build.onLoad({ filter: /.*/, namespace: 'daemon-vendor' }, async (args) => {
            const lines = [`import { modules } from './${groupOf.get(args.path)}.cjs';`, `const namespace = modules[${JSON.stringify(args.path)}];`];
            (await exportNames(args.path)).forEach((name, i) => {
              lines.push(`const e${i} = namespace[${JSON.stringify(name)}];`, `export { e${i} as ${JSON.stringify(name)} };`);
            });
            return { contents: lines.join('\n'), resolveDir: ROOT, loader: 'js' };
          });
        },
      },
    ],
  });
  if (/\bimport\(/.test(readFileSync(mainFile, 'utf8'))) throw new Error('daemon-main.cjs: an import() is left in it, which vm.Script cannot run (see daemonBundle)');
  // daemon.cjs, told daemon-main.cjs's content hash, which names its cache: a rebuilt main file
  // never meets an older build's cache (V8 checks its own version, flags and a checksum, not the
  // source's content).
  const hash = createHash('sha256').update(readFileSync(mainFile)).digest('hex').slice(0, 16);
  const start = await commonJsFile('src/cli/daemon-start.ts', path.join(outdir, 'daemon.cjs'), { define: { LIGHTNING_DAEMON_MAIN_HASH: JSON.stringify(hash) } });
  return { metafile: { outputs: { ...vendor.metafile.outputs, ...daemon.metafile.outputs, ...start.metafile.outputs } } };
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
    ...commonJsBundle(),
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
  const isEntry = (output) => ['cli.cjs', 'up.cjs', 'main.js', 'daemon.cjs', 'daemon-main.cjs', 'worker.cjs'].includes(output.file);
  const entries = outputs.filter(isEntry).map((output) => `${output.file} ${output.kib.toFixed(0)} KiB`);
  const chunks = outputs.filter((output) => !isEntry(output));
  const total = outputs.reduce((sum, output) => sum + output.kib, 0);
  console.log(`bundled ${entries.join(', ')} + ${chunks.length} shared chunks, ${(total / 1024).toFixed(1)} MiB in all, in ${Math.round(performance.now() - started)} ms`);
}
