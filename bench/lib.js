// Shared helpers for benchmarks: run the built CLI against a throwaway copy of agents.yaml, time
// things, and describe the machine.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(ROOT, 'bin/lightning.js');
/** `npm run bench -- --quick`: fewer repetitions and a shorter idle window, for trial runs. */
export const QUICK = process.argv.includes('--quick');

/**
 * A CA bundle every Node process on this machine parses at boot (NODE_EXTRA_CA_CERTS), when one is
 * set: on the bench machine it adds about 60 ms of CPU to each start. Benchmarks of start-up also
 * measure without it (env({ extraCa: false })), which is what a machine without one sees.
 */
export const EXTRA_CA = process.env.NODE_EXTRA_CA_CERTS || null;

export function env({ extraCa = true } = {}) {
  const copy = { ...process.env, NO_COLOR: '1' };
  delete copy.NODE_OPTIONS;
  if (!extraCa) delete copy.NODE_EXTRA_CA_CERTS;
  for (const key of Object.keys(copy)) if (key.startsWith('LIGHTNING_')) delete copy[key];
  return copy;
}

/**
 * The repository's six agents in a temp dir, every port 0 (free ports picked at spawn), or the
 * given ports in agents.yaml order; `modelUrl` points them at a model endpoint.
 */
export function sixAgentProject({ ports = null, modelUrl = null } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-bench-'));
  cpSync(path.join(ROOT, 'templates'), path.join(dir, 'templates'), { recursive: true });
  let next = 0;
  let yaml = readFileSync(path.join(ROOT, 'agents.yaml'), 'utf8').replace(/port: \d+/g, () => {
    // The supervisor's own port is the first `port:`; it stays free-picked.
    const port = next === 0 || !ports ? 0 : ports[next - 1];
    next += 1;
    return `port: ${port}`;
  });
  if (modelUrl) yaml = yaml.replace('baseURL: null', `baseURL: "${modelUrl}"`);
  writeFileSync(path.join(dir, 'agents.yaml'), yaml);
  return dir;
}

/** Fleets this process started: stopped on exit even when a benchmark throws. */
const fleets = new Set();

/** `lightning ARGS` in `dir`, run to its end: wall ms and stdout. `bin`: another checkout's (bench/ab.js); `environment`: other than env(). */
export function lightning(dir, args, bin = BIN, environment = env()) {
  const started = performance.now();
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: dir, env: environment, encoding: 'utf8' });
  const ms = performance.now() - started;
  if (args[0] === 'up' || args[0] === 'run') fleets.add(dir);
  if (args[0] === 'down') fleets.delete(dir);
  if (result.status !== 0) throw new Error(`lightning ${args.join(' ')}${bin === BIN ? '' : ` (${bin})`} exited ${result.status}: ${result.stderr}`);
  return { ms, stdout: result.stdout };
}

/** ms from `since` (epoch ms) to the first worker spawn and to the last "ready" line since, from a fleet's logs. */
export function coldStartTimeline(dir, since) {
  const logs = path.join(dir, '.lightning/logs');
  const spawned = [];
  const ready = [];
  for (const file of readdirSync(logs)) {
    for (const line of readFileSync(path.join(logs, file), 'utf8').split('\n')) {
      const at = Date.parse(line.slice(0, 24));
      if (!(at >= since)) continue; // an earlier run's lines (the logs are appended to)
      if (line.includes('[lightning] started pid')) spawned.push(at - since);
      else if (/ ready on http/.test(line)) ready.push(at - since);
    }
  }
  return { firstSpawn: Math.min(...spawned), lastReady: Math.max(...ready) };
}

/** `lightning(…)` without blocking this process: needed when this process serves the model. */
export function lightningAsync(dir, args) {
  const started = performance.now();
  if (args[0] === 'up' || args[0] === 'run') fleets.add(dir);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) reject(new Error(`lightning ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve({ ms, stdout });
    });
  });
}

/** `down` every fleet still up and remove its temp dir (benchmarks' finally blocks, and exit). */
export function stopFleets() {
  for (const dir of fleets) {
    if (existsSync(path.join(dir, '.lightning/supervisor.json'))) {
      spawnSync(process.execPath, [BIN, 'down'], { cwd: dir, env: env(), stdio: 'ignore' });
    }
    // A daemon whose `up -d` failed may hold the lock without ever writing supervisor.json.
    try {
      const pid = Number(readFileSync(path.join(dir, '.lightning/supervisor.lock'), 'utf8'));
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) process.kill(pid, 'SIGTERM');
    } catch {
      // No lock, or its process is gone: nothing left running.
    }
    fleets.delete(dir);
  }
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
}

export function supervisorInfo(dir) {
  return JSON.parse(readFileSync(path.join(dir, '.lightning/supervisor.json'), 'utf8'));
}

const agent = new http.Agent({ keepAlive: true });
export function getStatus(info) {
  return new Promise((resolve, reject) => {
    http
      .get(`${info.api}/v1/agents`, { agent, headers: { authorization: `Bearer ${info.token}` } }, (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve(JSON.parse(body)));
      })
      .on('error', reject);
  });
}

/** GET /health on a worker port: true when it answers 200 with `body` (parsed) passed to `accept`. */
export function healthy(port, accept = () => true) {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/health', agent }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += chunk));
      response.on('end', () => {
        try {
          resolve(response.statusCode === 200 && accept(JSON.parse(body)));
        } catch {
          resolve(false);
        }
      });
    });
    request.on('error', () => resolve(false));
    request.setTimeout(1000, () => request.destroy());
  });
}

/**
 * Server-sent events from the supervisor's /v1/events; `onEvent(name, data)` for each.
 * Resolves once connected, with a function that closes the stream.
 */
export function subscribeEvents(info, onEvent) {
  return new Promise((resolve, reject) => {
    const request = http.get(`${info.api}/v1/events`, { headers: { authorization: `Bearer ${info.token}`, accept: 'text/event-stream' } }, (response) => {
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const name = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (name && data) onEvent(name, JSON.parse(data));
        }
      });
      response.on('error', () => undefined);
      resolve(() => request.destroy());
    });
    request.on('error', reject);
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Free loopback ports, held until all are picked so none is handed out twice. */
export async function freePorts(count) {
  const net = await import('node:net');
  const servers = [];
  for (let i = 0; i < count; i += 1) {
    const server = net.createServer();
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
  }
  const ports = servers.map((server) => server.address().port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** `count` consecutive free loopback ports (for `instances: N`, which takes port … port+N−1). */
export async function consecutiveFreePorts(count) {
  const net = await import('node:net');
  const free = (port) => new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const ports = Array.from({ length: count }, (_, i) => base + i);
    if ((await Promise.all(ports.map(free))).every(Boolean)) return ports;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

/** The median of the finite values (a NaN marks a sample that could not be taken). */
export function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Significant digits that keep a figure readable: 1234 → 1234, 12.3 → 12.3, 0.64 → 0.64. */
export function fmt(value, unit = '') {
  if (value === undefined || value === null || Number.isNaN(value)) return '–';
  const abs = Math.abs(value);
  const text = abs >= 100 || Number.isInteger(value) ? Math.round(value).toLocaleString('en-US') : abs >= 10 ? value.toFixed(1) : value.toFixed(2);
  return unit ? `${text} ${unit}` : text;
}

export function summary(values, unit = 'ms') {
  return `median ${fmt(median(values), unit)} (min ${fmt(Math.min(...values), unit)}, max ${fmt(Math.max(...values), unit)}, n=${values.length})`;
}

export function machineInfo() {
  const cpus = os.cpus();
  let osName = `${os.platform()} ${os.release()}`;
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
    if (pretty) osName = `${pretty}, kernel ${os.release()}`;
  } catch {
    // Not Linux: the platform and release say enough.
  }
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    ramGiB: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
    os: osName,
    node: process.version,
    loadAverage: os.loadavg().map((load) => Number(load.toFixed(2))),
  };
}

export function machine() {
  const m = machineInfo();
  return `${m.cores} × ${m.cpu}, ${m.ramGiB} GiB, ${m.os}, node ${m.node}`;
}

/** `node -e 0`, the floor every CLI command and worker start pays: each run's ms. */
export function nodeStartRuns(runs = 5, environment = process.env) {
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    const started = performance.now();
    execFileSync(process.execPath, ['-e', '0'], { env: environment });
    times.push(performance.now() - started);
  }
  return times;
}

let clockTicks = null;
/** CPU time a process has used so far in user and in system mode, in ms, from /proc/<pid>/stat; NaN once it is gone. */
export function cpuTimes(pid) {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return { user: Number.NaN, system: Number.NaN }; // the process is gone (a restarted worker): its CPU is unknown
  }
  // The command name (field 2) may hold spaces; fields after its closing parenthesis are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: (Number(fields[11]) * 1000) / clockTicks, system: (Number(fields[12]) * 1000) / clockTicks };
}

/** CPU time (user + system) a process has used so far, in ms; NaN once it is gone. */
export function cpuMs(pid) {
  const { user, system } = cpuTimes(pid);
  return user + system;
}

/** Resident set size in MiB, from /proc/<pid>/status. */
export function rssMiB(pid) {
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kib) / 1024;
}
