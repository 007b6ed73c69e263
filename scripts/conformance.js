#!/usr/bin/env node
// `npm run conformance`: the public A2A conformance kit (a2aproject/a2a-tck, required level,
// JSON-RPC) against every A2A server this repository ships — a built-in worker, the scaffolded
// TypeScript and Python agents, and the supervisor's own endpoint (the fleet as one agent) — each
// started for real on free ports, then stopped.
//
//   A2A_TCK_DIR    the directory holding the kit's run.sh and prepare.sh (default ../shared/a2a-tck
//                  beside the repository); absent → the run is skipped with a message, exit 0
//   A2A_TCK_CACHE  where prepare.sh lays the kit out (default $TMPDIR/a2a-tck; prepared on first use)
//   -- --only NAME[,NAME]   run some targets (names as printed)
//
// Each target prints the kit's summary line; the exit status is non-zero when any target has a
// failure beyond the five checks that need the kit's own scenario hooks (run.sh decides that).
// Never part of `npm test`: the kit takes about a minute per target.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'lightning.js');
const KIT = path.resolve(ROOT, process.env.A2A_TCK_DIR || '../shared/a2a-tck');
const KIT_CACHE = process.env.A2A_TCK_CACHE || path.join(os.tmpdir(), 'a2a-tck');
const READY_TIMEOUT_MS = 30_000;

/**
 * The servers the kit runs against. Each is { name, start(), stop() }: start() brings the server
 * up and resolves to its base URL (where /.well-known/agent-card.json is served); stop() ends
 * whatever start() started. Add a target here to put it under the kit.
 */
function targets(context) {
  return [builtInWorker(context), scaffoldedAgent(context, 'ts'), scaffoldedAgent(context, 'python'), fleetEndpoint(context)];
}

// ---------------------------------------------------------------------------------------------

/** `lightning worker` for the repository's general_assistant, its model the test model server. */
function builtInWorker(context) {
  let child = null;
  return {
    name: 'worker',
    async start() {
      const port = await freePort();
      const cwd = context.scratch('worker');
      child = startProcess(process.execPath, [BIN, 'worker', '--agent', 'general_assistant', '--port', String(port), '--config', path.join(ROOT, 'agents.yaml')], {
        cwd,
        env: { OPENAI_BASE_URL: context.model.url, OPENAI_API_KEY: 'conformance', LIGHTNING_WORKSPACES: path.join(cwd, 'workspaces') },
      });
      return waitForCard(`http://127.0.0.1:${port}`, child);
    },
    stop: () => stopProcess(child),
  };
}

/** An agent scaffolded by `lightning new agent --lang LANG` in a fresh project, started with its own command. */
function scaffoldedAgent(context, lang) {
  let child = null;
  return {
    name: `template-${lang}`,
    async start() {
      const project = context.scratch(`template-${lang}`);
      const name = `tck_${lang}`;
      execFileSync(process.execPath, [BIN, 'init', project], { stdio: 'pipe', env: cleanEnv() });
      execFileSync(process.execPath, [BIN, 'new', 'agent', name, '--lang', lang], { cwd: project, stdio: 'pipe', env: cleanEnv() });
      const command = lang === 'python' ? ['python3', path.join('agents', name, 'agent.py')] : [process.execPath, path.join('agents', name, 'start.mjs')];
      const port = await freePort();
      child = startProcess(command[0], command.slice(1), { cwd: project, env: { PORT: String(port) } });
      return waitForCard(`http://127.0.0.1:${port}`, child);
    },
    stop: () => stopProcess(child),
  };
}

/**
 * The supervisor's A2A endpoint: a fleet of one general_assistant brought up with `up -d`. The kit
 * sends no credentials, so it talks to a small proxy that adds the supervisor's bearer token to
 * every request and rewrites the card's URLs to its own; nothing about the supervisor is relaxed.
 */
function fleetEndpoint(context) {
  let project = null;
  let proxy = null;
  const lightning = (args) => execFileSync(process.execPath, [BIN, ...args], { cwd: project, env: cleanEnv({ OPENAI_API_KEY: 'conformance' }), stdio: 'pipe', encoding: 'utf8' });
  return {
    name: 'supervisor',
    async start() {
      project = context.scratch('supervisor');
      cpSync(path.join(ROOT, 'templates', 'prompts'), path.join(project, 'templates', 'prompts'), { recursive: true });
      writeFileSync(
        path.join(project, 'agents.yaml'),
        `version: 1
supervisor: { port: 0 }
defaults:
  provider: { baseURL: "${context.model.url}" }
agents:
  general_assistant:
    port: 0
    description: Answers questions, writes and translates text
    capabilities: [writing, translation, questions]
    prompt: templates/prompts/general_assistant.md
    fallback: true
`,
      );
      lightning(['up', '-d']);
      const info = JSON.parse(readFileSync(path.join(project, '.lightning', 'supervisor.json'), 'utf8'));
      proxy = await startAuthProxy(info.api, info.token);
      console.log(`  the kit → proxy ${proxy.url} (adds the bearer token) → supervisor ${info.api}`);
      return proxy.url;
    },
    async stop() {
      if (project && existsSync(path.join(project, '.lightning', 'supervisor.json'))) {
        try {
          lightning(['down']);
        } catch (error) {
          console.log(`  lightning down: ${error.stderr || error.message}`);
        }
      }
      await proxy?.close();
    },
  };
}

/**
 * A pass-through proxy to the supervisor that adds `Authorization: Bearer <token>` and, in the
 * agent card, replaces the supervisor's URL by its own, so the kit's client comes back through it.
 * Bodies stream both ways (SSE included).
 */
function startAuthProxy(target, token) {
  const upstream = new URL(target);
  let self = '';
  const server = http.createServer((request, response) => {
    const headers = { ...request.headers, host: upstream.host, authorization: `Bearer ${token}` };
    const isCard = request.url?.startsWith('/.well-known/agent-card.json');
    if (isCard) delete headers['accept-encoding'];
    const forward = http.request({ host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers }, (answer) => {
      if (!isCard) {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
        return;
      }
      let body = '';
      answer.setEncoding('utf8');
      answer.on('data', (chunk) => (body += chunk));
      answer.on('end', () => {
        const rewritten = body.split(target).join(self);
        response.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'content-length': Buffer.byteLength(rewritten) });
        response.end(rewritten);
      });
    });
    forward.on('error', (error) => {
      if (!response.headersSent) response.writeHead(502, { 'content-type': 'text/plain' });
      response.end(`proxy: ${error.message}`);
    });
    response.on('close', () => forward.destroy());
    request.pipe(forward);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      self = `http://127.0.0.1:${server.address().port}`;
      resolve({
        url: self,
        close: () =>
          new Promise((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const onlyIndex = process.argv.indexOf('--only');
  const only = onlyIndex === -1 ? null : (process.argv[onlyIndex + 1] ?? '').split(',');
  if (!existsSync(path.join(KIT, 'run.sh'))) {
    console.log(`a2a conformance: skipped — no kit at ${KIT} (no run.sh there).`);
    console.log('  Get it: the kit is a2aproject/a2a-tck (branch 1.0-dev, commit 357c4a87) with prepare.sh and run.sh');
    console.log('  beside it, as laid out in ../shared/a2a-tck of the lightning workspace; point A2A_TCK_DIR at that directory.');
    return 0;
  }
  buildIfNeeded();
  const scratchRoot = mkdtempSync(path.join(os.tmpdir(), 'lightning-conformance-'));
  const model = await startModel(scratchRoot);
  const context = {
    model,
    scratch: (name) => {
      const dir = path.join(scratchRoot, name);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      return dir;
    },
  };
  const chosen = targets(context).filter((target) => !only || only.includes(target.name));
  const results = [];
  try {
    for (const target of chosen) results.push(await runTarget(target));
  } finally {
    await model.close();
    rmSync(scratchRoot, { recursive: true, force: true });
  }
  console.log('\nA2A conformance (a2a-tck required level, JSON-RPC):');
  for (const result of results) console.log(`  ${result.ok ? '✓' : '✗'} ${result.name.padEnd(16)} ${result.summary}`);
  return results.every((result) => result.ok) ? 0 : 1;
}

async function runTarget(target) {
  const started = performance.now();
  console.log(`\n── ${target.name}`);
  let baseUrl;
  try {
    baseUrl = await target.start();
  } catch (error) {
    await target.stop();
    console.log(`  could not start: ${error.message}`);
    return { name: target.name, ok: false, summary: `did not start: ${error.message}` };
  }
  try {
    const { status, output } = await runKit(baseUrl);
    process.stdout.write(output.replace(/^/gm, '  '));
    const summary = /^a2a-tck required level: (.*)$/m.exec(output)?.[1] ?? 'no summary';
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    return { name: target.name, ok: status === 0, summary: `${summary} (${seconds} s)` };
  } finally {
    await target.stop();
  }
}

function runKit(baseUrl) {
  return new Promise((resolve) => {
    const child = spawn('bash', [path.join(KIT, 'run.sh'), baseUrl, KIT_CACHE], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (status) => resolve({ status, output }));
  });
}

/** `npm run build` when dist/ is missing or older than any file under src/. */
function buildIfNeeded() {
  const newest = (dir, ext) => {
    let latest = 0;
    if (!existsSync(dir)) return latest;
    for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (entry.isFile() && entry.name.endsWith(ext)) latest = Math.max(latest, statSync(path.join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
    }
    return latest;
  };
  const built = newest(path.join(ROOT, 'dist'), '.js');
  if (built > 0 && built >= newest(path.join(ROOT, 'src'), '.ts')) return;
  console.log('building (dist/ is older than src/)…');
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

/**
 * The repository's OpenAI-compatible test server (test/fixtures/openai-server.ts), answering
 * deterministically from the request. Node 20 cannot import TypeScript, so the file is
 * transpiled (types erased) with the TypeScript compiler lightning already depends on.
 */
async function startModel(scratchRoot) {
  const ts = createRequire(import.meta.url)('typescript');
  const source = path.join(ROOT, 'test', 'fixtures', 'openai-server.ts');
  const { outputText } = ts.transpileModule(readFileSync(source, 'utf8'), {
    fileName: source,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const compiled = path.join(scratchRoot, 'openai-server.mjs');
  // Its imports of the product's own modules go to the built copies (dist/, from `npm run build`).
  const dist = pathToFileURL(path.join(ROOT, 'dist')).href;
  writeFileSync(compiled, outputText.replace(/(from\s+['"])\.\.\/\.\.\/src\//g, `$1${dist}/`));
  const { startOpenAiTestServer } = await import(pathToFileURL(compiled).href);
  return startOpenAiTestServer({ behavior: { type: 'echo' } });
}

/** The environment a user's shell would give, without anything that points lightning elsewhere. */
function cleanEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  for (const key of Object.keys(env)) if (key.startsWith('LIGHTNING_') && !(key in extra)) delete env[key];
  for (const key of ['OPENAI_API_KEY', 'OPENAI_BASE_URL']) if (!(key in extra)) delete env[key];
  return env;
}

function startProcess(command, args, { cwd, env }) {
  const child = spawn(command, args, { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  child.log = '';
  child.on('error', (error) => (child.log += `cannot start ${command}: ${error.message}\n`));
  child.stdout.on('data', (chunk) => (child.log += chunk));
  child.stderr.on('data', (chunk) => (child.log += chunk));
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return child;
}

async function stopProcess(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  const { code, signal } = await child.exited;
  clearTimeout(timer);
  if (code !== 0 && signal !== 'SIGTERM') console.log(`  (stopped with ${signal ?? `exit ${code}`}; its output:\n${child.log.trim().replace(/^/gm, '    ')})`);
}

/** Resolves to baseUrl once its agent card answers 200; rejects when the process exits first or the wait is over. */
async function waitForCard(baseUrl, child) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited before serving its card:\n${child.log.trim()}`);
    try {
      const response = await fetch(`${baseUrl}/.well-known/agent-card.json`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return baseUrl;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no agent card at ${baseUrl} within ${READY_TIMEOUT_MS / 1000} s:\n${child.log.trim()}`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

process.exitCode = await main();
