// Profiles the supervisor (foreground `lightning up` under node --cpu-prof) during a load run.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
const ROOT = process.argv[2];
const OUT = process.argv[3];
const { startInstantModel } = await import(ROOT + '/bench/instant-model.js');
const { consecutiveFreePorts, sleep, cpuMs, median, percentile } = await import(ROOT + '/bench/lib.js');
const model = await startInstantModel();
const dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-prof-'));
cpSync(path.join(ROOT, 'templates'), path.join(dir, 'templates'), { recursive: true });
const port = (await consecutiveFreePorts(2))[0];
writeFileSync(path.join(dir, 'agents.yaml'), `version: 1
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
`);
mkdirSync(OUT, { recursive: true });
const env = { ...process.env, NO_COLOR: '1' }; delete env.NODE_OPTIONS;
const child = spawn(process.execPath, [...(process.env.NOPROF ? [] : ['--cpu-prof', `--cpu-prof-dir=${OUT}`]), path.join(ROOT, 'bin/lightning.js'), 'up'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'inherit'] });
let out = ''; child.stdout.on('data', (c) => (out += c));
const infoFile = path.join(dir, '.lightning/supervisor.json');
while (!existsSync(infoFile)) await sleep(100);
await sleep(3000);
const info = JSON.parse(readFileSync(infoFile, 'utf8'));
const api = new Pool(info.api, { connections: 1000 });
const auth = { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' };
const call = async (n) => {
  const r = await api.request({ path: '/v1/tasks', method: 'POST', headers: auth, body: JSON.stringify({ input: `Translate sentence ${n}`, wait: true }) });
  const t = await r.body.json();
  if (t.status !== 'completed') throw new Error(JSON.stringify(t).slice(0, 200));
};
const split = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8'); const r = f.slice(f.lastIndexOf(')') + 2).split(' '); return { u: Number(r[11]) * 10, s: Number(r[12]) * 10 }; };
async function load(count, concurrency) {
  const s0 = split(info.pid);
  let next = 0; const lat = [];
  const lane = async () => { while (next < count) { const n = next++; const s = performance.now(); await call(n); lat.push(performance.now() - s); } };
  const t0 = performance.now(); const c0 = cpuMs(info.pid);
  await Promise.all(Array.from({ length: concurrency }, lane));
  const wall = performance.now() - t0;
  const s1 = split(info.pid);
  console.log(`  user ${((s1.u - s0.u) / count).toFixed(3)} sys ${((s1.s - s0.s) / count).toFixed(3)} ms/task`);
  console.log(`c=${concurrency} n=${count}: ${(count / wall * 1000).toFixed(0)} tasks/s p50 ${percentile(lat, 50).toFixed(2)} ms, supervisor CPU ${((cpuMs(info.pid) - c0) / count).toFixed(3)} ms/task`);
}
await load(300, 100);
const mode = process.argv[4] ?? 'both';
if (mode !== 'c1') await load(3000, 100);
if (mode !== 'c100') await load(500, 1);
await api.close();
child.kill('SIGINT');
await new Promise((r) => child.on('exit', r));
await model.close();
console.log('profile in', OUT);
process.exit(0);
