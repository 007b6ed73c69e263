// `node bench/profile.js [--tasks 3000] [--concurrency 100] [--no-profile] [--node-flags="--trace-gc …"]
// [--stdout]`: the supervisor (a
// foreground `lightning up` under node --cpu-prof) with the routing bench's fleet and instant
// model, loaded with `POST /v1/tasks` (wait: true); then its CPU per task (user and system, from
// /proc) and, from the profile, where its busy time went (by source file too, after
// `LIGHTNING_BUNDLE_PLAIN=1 node scripts/bundle.mjs`). Profile before changing the hot path.
// `--node-flags` go to the supervisor's node (--trace-gc, --trace-deopt, --perf-basic-prof for
// `perf record -p`); `--stdout` shows what it prints. `--alloc` (instead of the CPU profile): what
// the measured tasks allocate, by allocation site, from V8's sampling heap profiler over the
// inspector, garbage included (the young generation's churn is what scavenges cost).
// Run `npm run build` first. Never part of `npm test` or `npm run bench`.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { startInstantModel } from './instant-model.js';
import { BIN, ROOT, consecutiveFreePorts, cpuTimes, env, percentile, removeDir, sleep } from './lib.js';

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '3000' }, concurrency: { type: 'string', default: '100' }, 'no-profile': { type: 'boolean', default: false }, 'node-flags': { type: 'string', default: '' }, stdout: { type: 'boolean', default: false }, alloc: { type: 'boolean', default: false } } });
const TASKS = Number(values.tasks);
const CONCURRENCY = Number(values.concurrency);
const WARM_UP = 300;

const model = await startInstantModel();
const dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-profile-'));
const profileDir = path.join(dir, 'profile');
cpSync(path.join(ROOT, 'templates'), path.join(dir, 'templates'), { recursive: true });
const [port] = await consecutiveFreePorts(2);
// The fleet of bench/tasks.js: two instances of one agent, room for every task in flight.
writeFileSync(
  path.join(dir, 'agents.yaml'),
  `version: 1
supervisor: { port: 0 }
defaults:
  provider: { baseURL: "${model.url}" }
agents:
  general_assistant:
    port: ${port}
    instances: 2
    capacity: 256
    health: { timeout: 2s }
    description: writing and translation
    capabilities: [writing, translation]
    prompt: templates/prompts/general_assistant.md
    fallback: true
`,
);
/** The supervisor's inspector (Chrome DevTools Protocol over undici's WebSocket): call(method, params). */
class Inspector {
  static async open(url) {
    const { WebSocket } = await import('undici');
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => { socket.addEventListener('open', resolve); socket.addEventListener('error', reject); });
    const inspector = new Inspector(socket);
    await inspector.call('HeapProfiler.enable');
    return inspector;
  }
  constructor(socket) {
    this.socket = socket;
    this.pending = new Map();
    this.sequence = 0;
    socket.addEventListener('message', ({ data }) => {
      const message = JSON.parse(data);
      this.pending.get(message.id)?.(message.result);
      this.pending.delete(message.id);
    });
  }
  call(method, params = {}) {
    const id = ++this.sequence;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }
  close() {
    this.socket.close();
  }
}

/** Bytes allocated per measured task, by allocation site (the function and its two callers). */
function allocations(profile) {
  const bySite = new Map();
  let total = 0;
  const frame = ({ functionName, url, lineNumber }) => `${functionName || '(anonymous)'} ${url.slice(url.lastIndexOf('/') + 1)}:${lineNumber + 1}`;
  const walk = (node, callers) => {
    const stack = [frame(node.callFrame), ...callers].slice(0, 3);
    if (node.selfSize > 0) {
      total += node.selfSize;
      const site = stack.join(' < ');
      bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, stack);
  };
  walk(profile.head, []);
  console.log(`allocated ~${(total / TASKS / 1024).toFixed(1)} KiB per task (sampled every 4 KiB, garbage included); the busiest sites:`);
  for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${(bytes / TASKS).toFixed(0).padStart(6)} B  ${site}`);
}

const profiling = values.alloc ? ['--inspect=127.0.0.1:0'] : values['no-profile'] ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
const supervisor = spawn(process.execPath, [...profiling, ...values['node-flags'].split(' ').filter(Boolean), BIN, 'up'], { cwd: dir, env: env(), stdio: ['ignore', values.stdout ? 'inherit' : 'ignore', 'pipe'] });
let inspectorUrl = null;
supervisor.stderr.on('data', (chunk) => {
  const text = String(chunk);
  inspectorUrl ??= /ws:\/\/\S+/.exec(text)?.[0] ?? null;
  if (!/^(Debugger listening|For help, see)/m.test(text)) process.stderr.write(chunk);
});
const exited = new Promise((resolve) => supervisor.on('exit', resolve));
try {
  const infoFile = path.join(dir, '.lightning/supervisor.json');
  while (!existsSync(infoFile)) await sleep(100);
  await sleep(3000); // the instances come up, the task side loads
  const info = JSON.parse(readFileSync(infoFile, 'utf8'));
  const api = new Pool(info.api, { connections: 1000 });
  const headers = { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' };
  const load = async (count, concurrency) => {
    let next = 0;
    const latencies = [];
    const lane = async () => {
      while (next < count) {
        const n = next++;
        const started = performance.now();
        const response = await api.request({ path: '/v1/tasks', method: 'POST', headers, body: JSON.stringify({ input: `Translate sentence ${n}`, wait: true }) });
        const task = await response.body.json();
        if (task.status !== 'completed') throw new Error(`task ${task.id} ${task.status}: ${task.error ?? task.message}`);
        latencies.push(performance.now() - started);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    return latencies;
  };
  await load(WARM_UP, CONCURRENCY);
  const inspector = values.alloc ? await Inspector.open(inspectorUrl) : null;
  await inspector?.call('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  const before = cpuTimes(info.pid);
  const started = performance.now();
  const latencies = await load(TASKS, CONCURRENCY);
  const seconds = (performance.now() - started) / 1000;
  if (inspector) {
    allocations((await inspector.call('HeapProfiler.stopSampling')).profile);
    inspector.close();
  }
  const after = cpuTimes(info.pid);
  console.log(
    `${TASKS} tasks at concurrency ${CONCURRENCY}${profiling.length ? ' (profiled: slower)' : ''}: ${(TASKS / seconds).toFixed(0)} tasks/s, p50 ${percentile(latencies, 50).toFixed(2)} ms; ` +
      `supervisor CPU ${((after.user - before.user + after.system - before.system) / TASKS).toFixed(3)} ms/task (user ${((after.user - before.user) / TASKS).toFixed(3)}, system ${((after.system - before.system) / TASKS).toFixed(3)})`,
  );
  await api.close();
} finally {
  supervisor.kill('SIGINT');
  await exited;
  await model.close();
}
if (profiling.length && !values.alloc) {
  const file = readdirSync(profileDir).map((name) => path.join(profileDir, name)).find((name) => name.endsWith('.cpuprofile'));
  summarise(file);
  // Kept for a closer look (Chrome DevTools → Performance → Load profile, or `speedscope`).
  const kept = path.join(os.tmpdir(), 'lightning-supervisor.cpuprofile');
  cpSync(file, kept);
  console.log(`the whole profile: ${kept}`);
}
removeDir(dir);

/** Where the busy time went: by kind of code, then lightning's own functions (self time). */
function summarise(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const kinds = new Map();
  const own = new Map();
  const bySource = new Map();
  let busy = 0;
  profile.samples.forEach((id, index) => {
    const us = profile.timeDeltas[index] ?? 0;
    const { functionName, url, lineNumber } = nodes.get(id).callFrame;
    if (functionName === '(idle)') return;
    busy += us;
    const kind = url.includes('/dist/') || url.includes('/dist-bundle/') ? 'lightning' : url.includes('/undici/') ? 'undici' : url.startsWith('node:') ? 'node (JS)' : functionName.startsWith('(') ? functionName : url ? 'other JS' : 'native (syscalls, bindings)';
    kinds.set(kind, (kinds.get(kind) ?? 0) + us);
    const source = sourceOf(url, lineNumber);
    if (source) bySource.set(source, (bySource.get(source) ?? 0) + us);
    if (kind === 'lightning' || kind === 'node (JS)') {
      // The bundle's chunks hold lightning and what it bundles (undici, prom-client, …): named by chunk.
      const key = `${functionName || '(anonymous)'} ${url.slice(url.lastIndexOf('/') + 1)}:${lineNumber + 1}`;
      own.set(key, (own.get(key) ?? 0) + us);
    }
  });
  const share = (us) => `${((100 * us) / busy).toFixed(1).padStart(5)} %`;
  console.log(`busy ${(busy / 1000).toFixed(0)} ms (start-up and warm-up included); by kind of code:`);
  for (const [kind, us] of [...kinds].sort((a, b) => b[1] - a[1])) console.log(`  ${share(us)}  ${kind}`);
  console.log('the busiest JS functions (lightning and what it bundles, and Node\'s own), self time:');
  for (const [key, us] of [...own].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`  ${share(us)}  ${key}`);
  if (bySource.size) {
    console.log('self time by source file (a build with LIGHTNING_BUNDLE_PLAIN=1 keeps the markers):');
    for (const [key, us] of [...bySource].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${share(us)}  ${key}`);
  }
  console.log('(a wall-clock sampler: on a loaded machine, time preempted inside a system call counts as that call)');
}

/** The source file a bundle line came from: the nearest `// path` marker esbuild wrote above it (plain builds only). */
function sourceOf(url, lineNumber) {
  if (!url.startsWith('file://') || !/\/dist-bundle\//.test(url)) return undefined;
  const markers = (sourceOf.markers ??= new Map());
  let lines = markers.get(url);
  if (!lines) {
    lines = [];
    readFileSync(new URL(url), 'utf8').split('\n').forEach((line, index) => {
      const marker = /^\/\/ ((?:src|node_modules|scripts)\/\S+)$/.exec(line);
      if (marker) lines.push([index, marker[1].replace(/^node_modules\/([^/]+(?:\/[^/@]+)?)\/.*$/, 'node_modules/$1')]);
    });
    markers.set(url, lines);
  }
  let found;
  for (const [index, source] of lines) {
    if (index > lineNumber) break;
    found = source;
  }
  return found;
}
