import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { loadConfig } from '../../src/config/load.js';
import { planInstances } from '../../src/config/plan.js';
import type { InstanceSpec } from '../../src/config/types.js';
import type { ProbeOutcome } from '../../src/supervisor/health-prober.js';
import { Instance } from '../../src/supervisor/instance.js';
import type { InstanceState } from '../../src/supervisor/instance-state.js';
import { LogWriter } from '../../src/supervisor/log-writer.js';
import type { ExitInfo, RunningProcess } from '../../src/supervisor/spawn.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** A child process in virtual time: "up" (answers /health) once booted, gone when signalled. */
class FakeProcess implements RunningProcess {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly exited: Promise<ExitInfo>;
  up = false;
  dead = false;
  signals: string[] = [];
  private resolveExit: (info: ExitInfo) => void = () => undefined;

  constructor(readonly pid: number) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  signalGroup(signal: NodeJS.Signals): void {
    this.signals.push(signal);
    if (signal === 'SIGKILL' || signal === 'SIGTERM') this.exit({ code: null, signal });
  }

  exit(info: ExitInfo): void {
    if (this.dead) return;
    this.dead = true;
    this.up = false;
    this.resolveExit(info);
  }
}

interface Harness {
  instance: Instance;
  clock: FakeClock;
  spawned: FakeProcess[];
  states: InstanceState['name'][];
  /** What the next spawn does: boot (answer /health) or crash with `code` after `afterMs`. */
  behaviour: { boot: boolean; crashCode?: number; crashAfterMs?: number; output?: string };
  portFree: boolean;
  dir: string;
}

function spec(dir: string, restart: string): InstanceSpec {
  const file = path.join(dir, 'agents.yaml');
  writeFileSync(
    file,
    `version: 1
defaults:
  health: { interval: 1s, timeout: 500ms, failureThreshold: 3, startTimeout: 30s }
  restart: ${restart}
agents:
  worker:
    port: 9999
    description: a worker
    capabilities: [work]
    command: ["node", "worker.js"]
`,
  );
  return planInstances(loadConfig(file))[0]!;
}

function harness(restart = '{}'): Harness {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-instance-'));
  const clock = new FakeClock();
  const h: Harness = { clock, spawned: [], states: [], behaviour: { boot: true }, portFree: true, dir, instance: undefined as unknown as Instance };
  const log = new LogWriter({ file: path.join(dir, 'worker-0.log'), maxBytes: 1 << 20, files: 2 });
  h.instance = new Instance(spec(dir, restart), {
    clock,
    random: () => 0.5,
    spawner: () => {
      const child = new FakeProcess(1000 + h.spawned.length);
      h.spawned.push(child);
      const { boot, crashCode, crashAfterMs, output } = h.behaviour;
      if (output) child.stderr.write(`${output}\n`);
      if (boot) clock.setTimeout(() => (child.up = !child.dead), 200);
      if (crashCode !== undefined) clock.setTimeout(() => child.exit({ code: crashCode, signal: null }), crashAfterMs ?? 50);
      return child;
    },
    probe: async (url): Promise<ProbeOutcome> => {
      const child = h.spawned.at(-1);
      return child?.up ? { ok: true, latencyMs: 1, body: { status: 'ok' } } : { ok: false, latencyMs: 1, error: `connect ECONNREFUSED ${url}` };
    },
    launchFor: (current, port) => ({ argv: ['node', 'worker.js', String(port)], cwd: dir, env: {}, dieWithParent: false }),
    reloadSpec: async () => null,
    acquirePort: async (current) => (h.portFree ? { port: current.port } : { conflict: `port ${current.port} for worker#0 is already in use by pid 4242 (nc -l)` }),
    log,
    onSpawned: () => undefined,
    onExited: () => undefined,
    onChange: (changed) => h.states.push(changed.state.name),
  });
  return h;
}

/** SIGKILL from outside (the chaos monkey, the OOM killer). */
function killCurrent(h: Harness): void {
  h.spawned.at(-1)!.exit({ code: null, signal: 'SIGKILL' });
}

describe('Instance restarts (virtual time)', () => {
  let h: Harness;
  afterEach(() => rmSync(h.dir, { recursive: true, force: true }));

  it('restarts a worker killed 100 times after ≥ minUptime healthy at once, every time, and never marks it failed', async () => {
    h = harness();
    await h.instance.start();
    for (let kill = 0; kill < 100; kill += 1) {
      await h.clock.advance(1500); // boots in 200 ms, then healthy for > minUptime (1 s)
      expect(h.instance.state.name).toBe('healthy');
      killCurrent(h);
      await h.clock.advance(0);
      // Restarted at once: no backoff wait, spawned again already.
      expect(h.instance.state.name).toBe('starting');
    }
    expect(h.spawned).toHaveLength(101);
    expect(h.states).not.toContain('failed');
    expect(h.instance.restarts).toBe(100);
  });

  it('backs off a worker that dies before it is healthy, then marks it failed with the exit code and its last output', async () => {
    h = harness('{ initialDelay: 100ms, factor: 2, maxDelay: 30s, maxRestarts: 4 }');
    h.behaviour = { boot: false, crashCode: 1, crashAfterMs: 50, output: 'Error: cannot find module ./missing.js' };
    await h.instance.start();
    const spawnTimes: number[] = [];
    for (let step = 0; step < 400 && h.instance.state.name !== 'failed'; step += 1) {
      const before = h.spawned.length;
      await h.clock.advance(10);
      // The child's stderr is a stream: let its 'data' reach the log before the next step.
      await new Promise((resolve) => setImmediate(resolve));
      if (h.spawned.length > before) spawnTimes.push(h.clock.now());
    }
    expect(h.instance.state).toMatchObject({
      name: 'failed',
      reason: 'exited with code 1; gave up after 4 restarts in a row; last output: Error: cannot find module ./missing.js ⏎ Error: cannot find module ./missing.js ⏎ Error: cannot find module ./missing.js',
      retryAt: null,
    });
    expect(h.spawned).toHaveLength(5);
    // Spawn gaps: 50 ms (crash) + 0, then + 100, 200, 400 ms of backoff.
    const gaps = spawnTimes.map((at, i) => at - (spawnTimes[i - 1] ?? 0));
    expect(gaps).toEqual([50, 150, 250, 450]);
    // Failed stays failed: nothing spawns on its own any more.
    await h.clock.advance(120_000);
    expect(h.spawned).toHaveLength(5);
  });

  it('counts a death within minUptime of becoming healthy as a crash loop', async () => {
    h = harness('{ initialDelay: 100ms, maxRestarts: 3 }');
    await h.instance.start();
    for (let round = 0; round < 4; round += 1) {
      await h.clock.advance(700); // healthy at 200 ms, killed 500 ms later: < minUptime
      expect(h.instance.state.name).toBe('healthy');
      killCurrent(h);
      await h.clock.advance(0);
    }
    expect(h.instance.state).toMatchObject({ name: 'failed', reason: 'killed by SIGKILL; gave up after 3 restarts in a row' });
  });

  it('a restart by hand clears a failed instance\'s streak and starts it again', async () => {
    h = harness('{ maxRestarts: 1 }');
    h.behaviour = { boot: false, crashCode: 2, crashAfterMs: 10 };
    await h.instance.start();
    await h.clock.advance(1000);
    expect(h.instance.state.name).toBe('failed');
    h.behaviour = { boot: true };
    await h.instance.restart();
    await h.clock.advance(300);
    expect(h.instance.state.name).toBe('healthy');
    expect(h.spawned).toHaveLength(3);
  });

  it('waits for a port held by another process, says so, re-checks every maxDelay and starts once it is free', async () => {
    h = harness('{ maxDelay: 5s }');
    h.portFree = false;
    await h.instance.start();
    expect(h.instance.state).toMatchObject({
      name: 'failed',
      reason: 'port 9999 for worker#0 is already in use by pid 4242 (nc -l); waiting for the port to be free (checked again every 5 s)',
      retryAt: 5000,
    });
    expect(h.instance.nextRestartAt).toBe(5000);
    await h.clock.advance(5000);
    expect(h.instance.state.name).toBe('failed');
    expect(h.spawned).toHaveLength(0);
    h.portFree = true;
    await h.clock.advance(5000);
    await h.clock.advance(300);
    expect(h.instance.state.name).toBe('healthy');
    expect(h.spawned).toHaveLength(1);
  });

  it('stop by a user holds it stopped (nothing restarts it) until started again', async () => {
    h = harness();
    await h.instance.start();
    await h.clock.advance(300);
    const stopping = h.instance.stop('stopped by lightning stop');
    await h.clock.advance(0);
    await stopping;
    expect(h.instance.state).toMatchObject({ name: 'stopped', heldBy: 'stopped by lightning stop' });
    expect(h.instance.reason).toBe('stopped by lightning stop');
    await h.clock.advance(120_000);
    expect(h.spawned).toHaveLength(1);
    await h.instance.start();
    await h.clock.advance(300);
    expect(h.instance.state.name).toBe('healthy');
    expect(h.instance.reason).toBeNull();
  });

  it('forceKill (second Ctrl-C) SIGKILLs and does not restart: the exit is a stop, not a crash', async () => {
    h = harness();
    await h.instance.start();
    await h.clock.advance(2000);
    h.instance.forceKill();
    await h.clock.advance(0);
    expect(h.spawned[0]!.signals).not.toContain('SIGTERM');
    expect(h.spawned[0]!.signals[0]).toBe('SIGKILL');
    expect(h.instance.state.name).toBe('stopped');
    await h.clock.advance(60_000);
    expect(h.spawned).toHaveLength(1);
    expect(h.states).not.toContain('backoff');
  });

  it('forceKill of an instance in backoff: it is not spawned again', async () => {
    h = harness();
    h.behaviour = { boot: false, crashCode: 1, crashAfterMs: 10 };
    await h.instance.start();
    await h.clock.advance(25); // the first restart is immediate; the second waits 100 ms
    expect(h.instance.state.name).toBe('backoff');
    h.instance.forceKill();
    await h.clock.advance(60_000);
    expect(h.instance.state.name).toBe('stopped');
    expect(h.spawned).toHaveLength(2);
  });
});
