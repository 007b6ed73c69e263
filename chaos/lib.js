// What every chaos scenario shares: a throwaway project, the built CLI, the control API, the
// ledger, and the load generator. Real processes only: the supervisor and its workers are the
// ones `lightning up -d` starts from dist/.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { isAlive } from '../dist/supervisor/process-registry.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(ROOT, 'bin/lightning.js');

export { isAlive };

/**
 * The process is gone for good: no thread of it left, or only zombies. (The thread-group leader
 * turns zombie before its other threads have exited — and those still hold its sockets — so the
 * leader's own state is not enough to say its ports are free.)
 */
export function gone(pid) {
  let threads;
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return true;
  }
  return threads.every((tid) => {
    try {
      const state = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ').at(-1)[0];
      return state === 'Z' || state === 'X';
    } catch {
      return true;
    }
  });
}

/** The environment a user's shell would give the CLI: no jest NODE_OPTIONS, no LIGHTNING_*. */
export function cliEnv() {
  const env = { ...process.env, NO_COLOR: '1' };
  delete env.NODE_OPTIONS;
  for (const key of Object.keys(env)) if (key.startsWith('LIGHTNING_')) delete env[key];
  return env;
}

/** Runs the built CLI in `dir` without blocking the event loop (the model server lives here too). */
export function lightning(dir, args, { timeoutMs = 60_000 } = {}) {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** A fresh directory with agents.yaml and the repository's prompts. */
export function makeProject(yaml) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-chaos-'));
  cpSync(path.join(ROOT, 'templates'), path.join(dir, 'templates'), { recursive: true });
  writeFileSync(path.join(dir, 'agents.yaml'), yaml);
  return dir;
}

/**
 * The fleet every scenario runs: the built-in generalist, `instances` workers, against `modelUrl`.
 * `restart` and `health` are the scenario's own (a worker killed every 0.5 s is not a crash loop
 * of its own making, so it must not run out of restarts).
 */
export function fleetYaml({ modelUrl, instances, supervisorPort = 0, port = 0, health, restart, capacity, timeout = '30s' }) {
  return `version: 1
supervisor: { port: ${supervisorPort} }
defaults:
  provider: { baseURL: "${modelUrl}" }
  stop: { grace: 500ms }
  task: { timeout: ${timeout}, retries: 2 }
${health ? `  health: ${health}\n` : ''}${restart ? `  restart: ${restart}\n` : ''}agents:
  general_assistant:
    port: ${port}
    instances: ${instances}
${capacity ? `    capacity: ${capacity}\n` : ''}    description: writing and translation
    capabilities: [writing, translation]
    prompt: templates/prompts/general_assistant.md
    fallback: true
`;
}

export function supervisorInfo(dir) {
  return JSON.parse(readFileSync(path.join(dir, '.lightning/supervisor.json'), 'utf8'));
}

/** `up -d`, or throw with what it said. */
export async function up(dir) {
  const result = await lightning(dir, ['up', '-d']);
  if (result.code !== 0) throw new Error(`lightning up -d exited ${result.code}: ${result.stderr}`);
  return { ...supervisorInfo(dir), ms: result.ms };
}

/** `down`, whatever state the scenario left the fleet in (also sweeps after a killed supervisor). */
export async function down(dir) {
  if (!dir || !existsSync(path.join(dir, 'agents.yaml'))) return;
  await lightning(dir, ['down'], { timeoutMs: 30_000 });
  // A supervisor that never got as far as supervisor.json is invisible to `down`, but holds the
  // lock: stop it by that pid, once sure it is this directory's (its workers follow it).
  let pid = NaN;
  try {
    pid = Number(readFileSync(path.join(dir, '.lightning/supervisor.lock'), 'utf8').trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || !isAlive(pid)) return;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!cmdline.includes(dir)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 5000;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** True when 127.0.0.1:port can be bound now (what a restarted supervisor or worker needs). */
export function canBind(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** `count` consecutive free ports (an agent's instances take port, port + 1, …). */
export async function freePorts(count) {
  for (;;) {
    const first = await freePort();
    if (first + count > 65535) continue;
    const rest = await Promise.all(Array.from({ length: count - 1 }, (_, i) => canBind(first + 1 + i)));
    if (rest.every(Boolean)) return Array.from({ length: count }, (_, i) => first + i);
  }
}

/** The control API over a keep-alive pool (the load generator's lanes each hold a connection). */
export function controlApi(info, connections = 64) {
  const pool = new Pool(info.api, { connections, headersTimeout: 0, bodyTimeout: 0 });
  const headers = { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' };
  return {
    async request(method, route, body) {
      const response = await pool.request({ method, path: route, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await response.body.text();
      return { status: response.statusCode, body: text ? JSON.parse(text) : null };
    },
    status() {
      return this.request('GET', '/v1/agents').then((answer) => answer.body);
    },
    close: () => pool.destroy(),
  };
}

/**
 * Submits `total` tasks, `concurrency` at a time, each with wait:true. Never throws: a task whose
 * request failed (the supervisor died under it) is recorded with its error.
 */
export async function runLoad(api, { total, concurrency, input = (n) => `Translate sentence number ${n} into French`, onResult = () => undefined, stop = () => false }) {
  const results = [];
  let next = 0;
  const lane = async () => {
    while (next < total && !stop()) {
      const n = next++;
      const started = Date.now();
      let result;
      try {
        const answer = await api.request('POST', '/v1/tasks', { input: input(n), wait: true });
        result = { n, started, ended: Date.now(), http: answer.status, id: answer.body?.id ?? null, status: answer.body?.status ?? null, error: answer.body?.error ?? answer.body?.message ?? null, attempts: answer.body?.attempts ?? [] };
      } catch (error) {
        result = { n, started, ended: Date.now(), http: 0, id: null, status: null, error: error.message, attempts: [] };
      }
      results.push(result);
      onResult(result);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return results;
}

/**
 * Listens to GET /v1/events and keeps every agent.state change with the time it arrived, so a
 * scenario can tell when an instance went down and when it was healthy again.
 */
export function watchAgentStates(info) {
  const changes = [];
  const controller = new AbortController();
  const done = (async () => {
    try {
      const response = await fetch(`${info.api}/v1/events`, { headers: { authorization: `Bearer ${info.token}` }, signal: controller.signal });
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let boundary = buffer.indexOf('\n\n');
        while (boundary !== -1) {
          const block = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          if (block.startsWith('event: agent.state\n')) {
            const data = JSON.parse(block.slice(block.indexOf('data: ') + 6));
            changes.push({ at: Date.now(), id: `${data.agent}#${data.instance}`, state: data.state, pid: data.pid });
          }
          boundary = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted, or the supervisor went away
    }
  })();
  return {
    changes,
    /** First change of `id` to `state` at or after `since`. */
    first(id, state, since) {
      return changes.find((change) => change.id === id && change.state === state && change.at >= since) ?? null;
    },
    async close() {
      controller.abort();
      await done;
    },
  };
}

export async function waitFor(what, check, timeoutMs = 15_000, everyMs = 25) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => null);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const pct = (part, whole) => (whole === 0 ? 0 : (100 * part) / whole);

/**
 * A pass/fail line of a scenario. `timed` bars depend on the machine's speed and load (a time, or
 * a rate against a fixed clock): `npm run chaos` holds them, the tests print them.
 */
export const bar = (name, ok, detail, timed = false) => ({ name, ok: Boolean(ok), detail: String(detail), timed });
