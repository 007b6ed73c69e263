// Shared helpers for benchmarks: run the built CLI against a throwaway copy of agents.yaml.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(ROOT, 'bin/lightning.js');

export function env() {
  const copy = { ...process.env, NO_COLOR: '1' };
  delete copy.NODE_OPTIONS;
  for (const key of Object.keys(copy)) if (key.startsWith('LIGHTNING_')) delete copy[key];
  return copy;
}

/** The repository's six agents in a temp dir, every port 0 (free ports picked at spawn). */
export function sixAgentProject() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-bench-'));
  cpSync(path.join(ROOT, 'templates'), path.join(dir, 'templates'), { recursive: true });
  const yaml = readFileSync(path.join(ROOT, 'agents.yaml'), 'utf8').replace(/port: \d+/g, 'port: 0');
  writeFileSync(path.join(dir, 'agents.yaml'), yaml);
  return dir;
}

export function lightning(dir, args) {
  const started = performance.now();
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, env: env(), encoding: 'utf8' });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`lightning ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return { ms, stdout: result.stdout };
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

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function summary(values, unit = 'ms') {
  const fmt = (value) => `${value.toFixed(0)} ${unit}`;
  return `median ${fmt(median(values))} (min ${fmt(Math.min(...values))}, max ${fmt(Math.max(...values))}, n=${values.length})`;
}

export function machine() {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model ?? 'cpu'}, node ${process.version}, ${os.platform()} ${os.release()}`;
}

export function nodeStartMs() {
  const runs = [];
  for (let i = 0; i < 5; i += 1) {
    const started = performance.now();
    execFileSync(process.execPath, ['-e', '0']);
    runs.push(performance.now() - started);
  }
  return median(runs);
}
