#!/usr/bin/env node
// Runs the public A2A conformance kit (a2a-tck, required level, JSON-RPC) against the supervisor's
// own A2A endpoint: the fleet as one agent. A fleet of one general_assistant on free ports is
// brought up with the built bin against an instant OpenAI-compatible model (bench/instant-model.js),
// so the kit measures the protocol, not a model.
//
// The kit sends no credentials, so it talks to a small proxy here that adds the supervisor's bearer
// token to every request and rewrites the card's URLs to the proxy's own. Nothing about the
// supervisor is relaxed for the run.
//
// Environment: A2A_TCK_DIR — the kit's scripts (run.sh, prepare.sh; default ../shared/a2a-tck beside
// this repository); A2A_TCK_KIT — where the kit is laid out (default /tmp/a2a-tck, prepared by
// run.sh on first use). Exit code: 0 when the only failures are the kit's five scenario-hook checks,
// 1 otherwise; a missing kit is a skip (exit 0) with a message saying where to get it.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startInstantModel } from '../bench/instant-model.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin/lightning.js');
const kitScripts = path.resolve(ROOT, process.env.A2A_TCK_DIR ?? '../shared/a2a-tck');
const kit = process.env.A2A_TCK_KIT ?? '/tmp/a2a-tck';

if (!existsSync(path.join(kitScripts, 'run.sh'))) {
  console.log(`conformance (supervisor): skipped — no A2A conformance kit at ${kitScripts}.`);
  console.log('  Get a2aproject/a2a-tck (branch 1.0-dev, commit 357c4a87) with its run.sh/prepare.sh and point A2A_TCK_DIR at it.');
  process.exit(0);
}
if (!existsSync(path.join(ROOT, 'dist/cli/main.js'))) {
  console.error('conformance (supervisor): build first (npm run build)');
  process.exit(2);
}

const model = await startInstantModel();
const dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-conformance-'));
cpSync(path.join(ROOT, 'templates'), path.join(dir, 'templates'), { recursive: true });
writeFileSync(
  path.join(dir, 'agents.yaml'),
  `version: 1
supervisor: { port: 0 }
defaults:
  provider: { baseURL: "${model.url}" }
agents:
  general_assistant:
    port: 0
    description: Answers questions, writes and translates text
    capabilities: [writing, translation, questions]
    prompt: templates/prompts/general_assistant.md
    fallback: true
`,
);
const env = { ...process.env, NO_COLOR: '1', OPENAI_API_KEY: 'conformance-no-key' };
for (const key of Object.keys(env)) if (key.startsWith('LIGHTNING_') || key === 'NODE_OPTIONS') delete env[key];
const lightning = (args) => execFileSync(process.execPath, [BIN, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

let proxy = null;
let exitCode = 1;
try {
  lightning(['up', '-d']);
  const info = JSON.parse(readFileSync(path.join(dir, '.lightning/supervisor.json'), 'utf8'));
  proxy = await startAuthProxy(info.api, info.token);
  console.log(`conformance (supervisor): the kit → proxy ${proxy.url} (adds the bearer token) → supervisor ${info.api}`);
  exitCode = await new Promise((resolve) => {
    const child = spawn('bash', [path.join(kitScripts, 'run.sh'), proxy.url, kit], { stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 1));
  });
} catch (error) {
  console.error(`conformance (supervisor): ${error.stderr || error.message}`);
} finally {
  try {
    lightning(['down']);
  } catch (error) {
    console.error(`lightning down: ${error.stderr || error.message}`);
  }
  await proxy?.close();
  await model.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(exitCode);

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
        const outHeaders = { ...answer.headers, 'content-length': Buffer.byteLength(rewritten) };
        response.writeHead(answer.statusCode ?? 502, outHeaders);
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
