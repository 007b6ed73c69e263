// The PM2 peer: PM2 (a benchmark-only dependency, bench/package.json) supervising the same six
// built-in workers that `lightning up` starts, launched exactly as the supervisor launches them.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ROOT, env, getStatus, removeDir, supervisorInfo } from './lib.js';

const BENCH = path.join(ROOT, 'bench');
const PM2_BIN = path.join(BENCH, 'node_modules/pm2/bin/pm2');

/** PM2 lives in bench/node_modules only: installed here on first use, never by the main install. */
export function ensurePm2() {
  if (existsSync(PM2_BIN)) return;
  console.log('installing the PM2 peer into bench/node_modules (npm install --prefix bench) …');
  const result = spawnSync('npm', ['install', '--prefix', BENCH, '--no-audit', '--no-fund'], { stdio: 'inherit', env: env() });
  if (result.status !== 0 || !existsSync(PM2_BIN)) throw new Error('could not install pm2 into bench/node_modules (see npm output above)');
}

export function pm2Version() {
  return JSON.parse(readFileSync(path.join(BENCH, 'node_modules/pm2/package.json'), 'utf8')).version;
}

/**
 * How the supervisor launched each worker of a running fleet, read from /proc: argv and the whole
 * environment (LIGHTNING_AGENT_SPEC, token, workspaces …). Linux only, like the bench.
 */
export async function captureLaunches(dir) {
  const status = await getStatus(supervisorInfo(dir));
  return status.agents.map((agent) => {
    const argv = readFileSync(`/proc/${agent.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const pairs = readFileSync(`/proc/${agent.pid}/environ`, 'utf8').split('\0').filter(Boolean);
    const workerEnv = Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
    return { name: agent.name, argv, env: workerEnv };
  });
}

/** One PM2 daemon with a private PM2_HOME in a temp dir; `kill()` stops it and removes the dir. */
export class Pm2 {
  constructor() {
    this.home = mkdtempSync(path.join(os.tmpdir(), 'lightning-bench-pm2-'));
    this.env = { ...env(), PM2_HOME: this.home };
    this.client = null;
    /** pm2 CLI runs in flight: stopped first on kill(), or one could respawn the daemon. */
    this.running = new Set();
    Pm2.live.add(this);
  }

  /** Runs the pm2 CLI to completion; its wall time in ms. */
  cli(args) {
    const started = performance.now();
    const result = spawnSync(process.execPath, [PM2_BIN, ...args], { env: this.env, encoding: 'utf8' });
    const ms = performance.now() - started;
    if (result.status !== 0) throw new Error(`pm2 ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
    return { ms, stdout: result.stdout };
  }

  /** The pm2 CLI without blocking this process (so it can poll meanwhile); resolves with its ms. */
  cliAsync(args) {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [PM2_BIN, ...args], { env: this.env, stdio: ['ignore', 'ignore', 'pipe'] });
      this.running.add(child);
      child.on('exit', () => this.running.delete(child));
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`pm2 ${args.join(' ')} exited ${code}: ${stderr}`))));
    });
  }

  /**
   * An ecosystem file for the captured launches: same script, arguments and environment, on
   * `ports`. LIGHTNING_SUPERVISOR_PID is dropped: under PM2 the worker's parent is PM2's daemon,
   * and the worker would take that for "my supervisor is gone". Everything else is PM2's default
   * (fork mode, autorestart, restart_delay 0, no exponential backoff).
   */
  writeEcosystem(launches, ports) {
    const apps = launches.map((launch, i) => {
      const port = String(ports[i]);
      const appEnv = { ...launch.env, PORT: port };
      delete appEnv.LIGHTNING_SUPERVISOR_PID;
      const args = launch.argv.slice(2);
      args[args.indexOf('--port') + 1] = port;
      return { name: launch.name, script: launch.argv[1], args, env: appEnv, cwd: ROOT };
    });
    const file = path.join(this.home, 'ecosystem.json');
    writeFileSync(file, JSON.stringify({ apps }, null, 2));
    return file;
  }

  /** PM2's programmatic API connected to this daemon (which must be running). */
  async api() {
    if (this.client) return this.client;
    const { custom: PM2 } = createRequire(import.meta.url)(path.join(BENCH, 'node_modules/pm2'));
    const pm2 = new PM2({ pm2_home: this.home });
    await new Promise((resolve, reject) => pm2.connect((error) => (error ? reject(error) : resolve())));
    const list = () => new Promise((resolve, reject) => pm2.list((error, processes) => (error ? reject(error) : resolve(processes))));
    const bus = await new Promise((resolve, reject) => pm2.launchBus((error, b) => (error ? reject(error) : resolve(b))));
    this.client = { pm2, list, bus };
    return this.client;
  }

  /** Apps by name: pid and status as PM2 reports them. */
  async processes() {
    const { list } = await this.api();
    return new Map((await list()).map((p) => [p.name, { pid: p.pid, status: p.pm2_env.status, restarts: p.pm2_env.restart_time }]));
  }

  /** The daemon's pid, from PM2_HOME/pm2.pid. */
  daemonPid() {
    return Number(readFileSync(path.join(this.home, 'pm2.pid'), 'utf8'));
  }

  /** `pm2 kill`: the daemon and its apps stop, PM2_HOME stays (the next start is a cold one). */
  stopDaemon() {
    this.disconnect();
    this.cli(['kill']);
  }

  disconnect() {
    if (!this.client) return;
    this.client.bus.close?.();
    this.client.pm2.disconnect();
    this.client = null;
  }

  /** `pm2 kill` (daemon and apps), then the temp PM2_HOME goes. Safe to call twice. */
  kill() {
    if (!Pm2.live.has(this)) return;
    Pm2.live.delete(this);
    for (const child of this.running) child.kill('SIGKILL');
    this.disconnect();
    if (existsSync(path.join(this.home, 'pm2.pid'))) {
      spawnSync(process.execPath, [PM2_BIN, 'kill'], { env: this.env, stdio: 'ignore', timeout: 30_000 });
    }
    removeDir(this.home);
  }

  /** Every daemon this process started (for the exit handler). */
  static live = new Set();

  static killAll() {
    for (const peer of [...Pm2.live]) peer.kill();
  }
}
