import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  commandMatches,
  isAlive,
  ProcessRegistry,
  waitForExit,
} from '../../src/supervisor/process-registry.js';

const linuxIt = process.platform === 'linux' ? it : it.skip;

let dir: string;
let file: string;
let groups: number[] = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-registry-'));
  file = path.join(dir, '.lightning', 'processes.json');
});

afterEach(() => {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already swept.
    }
  }
  groups = [];
  rmSync(dir, { recursive: true, force: true });
});

function start(argv: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const [cmd, ...args] = argv as [string, ...string[]];
  const child = spawn(cmd, args, { detached: true, stdio: 'ignore', env });
  if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
  groups.push(child.pid);
  return child;
}

function entry(child: ChildProcess, command: string[]) {
  const pid = child.pid!;
  return { pid, pgid: pid, command, startedAt: new Date().toISOString() };
}

/** Live processes in a group, read from /proc (the test's own view, independent of the module). */
function members(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return fields[0] !== 'Z' && Number(fields[2]) === pgid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function waitForMembers(pgid: number, count: number): Promise<number[]> {
  for (let i = 0; i < 250; i++) {
    const found = members(pgid);
    if (found.length >= count) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`group ${pgid} never reached ${count} members`);
}

describe('ProcessRegistry file', () => {
  it('writes atomically with mode 0600 and removes the file once empty', () => {
    const registry = new ProcessRegistry(file);
    const e = { pid: 123, pgid: 123, command: ['sleep', '30'], startedAt: 'now' };
    registry.record('a#0', e);
    registry.record('b#0', { ...e, pid: 124, pgid: 124 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const data = JSON.parse(readFileSync(file, 'utf8'));
    expect(Object.keys(data.entries)).toEqual(['a#0', 'b#0']);
    expect(data.supervisorPid).toBe(process.pid);
    expect(readdirSync(path.dirname(file))).toEqual(['processes.json']); // no temp left over
    registry.forget('a#0');
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')).entries)).toEqual(['b#0']);
    registry.forget('b#0');
    expect(existsSync(file)).toBe(false);
  });
});

describe('ProcessRegistry.sweep', () => {
  it('does nothing for a missing file', async () => {
    await expect(ProcessRegistry.sweep(file)).resolves.toEqual({ killed: [], skipped: [] });
  });

  it('logs a corrupt file and sweeps nothing', async () => {
    const logs: string[] = [];
    new ProcessRegistry(file).record('x', { pid: 1, pgid: 1, command: ['x'], startedAt: 'now' });
    writeFileSync(file, '{ not json');
    const result = await ProcessRegistry.sweep(file, { log: (m) => logs.push(m) });
    expect(result).toEqual({ killed: [], skipped: [] });
    expect(logs.join('\n')).toMatch(/corrupt/);
  });

  linuxIt('kills surviving groups including grandchildren, then removes the file', async () => {
    const sleeper = start(['sleep', '30']);
    // `& wait` keeps sh as the leader: dash would otherwise exec the last command in place.
    const shell = start(['sh', '-c', 'sleep 30 & sleep 30 & wait']);
    const shellGroup = await waitForMembers(shell.pid!, 3);
    const registry = new ProcessRegistry(file);
    registry.record('sleeper#0', entry(sleeper, ['/bin/sleep', '30'])); // argv[0] by basename
    registry.record('shell#0', entry(shell, ['sh', '-c', 'sleep 30 & sleep 30 & wait']));

    const logs: string[] = [];
    const result = await ProcessRegistry.sweep(file, { graceMs: 2000, log: (m) => logs.push(m) });
    expect(result.skipped).toEqual([]);
    expect(result.killed).toEqual(
      expect.arrayContaining([
        { id: 'sleeper#0', pid: sleeper.pid },
        { id: 'shell#0', pid: shell.pid },
      ]),
    );
    expect(await waitForExit([sleeper.pid!, ...shellGroup], 2000)).toEqual([]);
    for (const pid of [sleeper.pid!, ...shellGroup]) expect(isAlive(pid)).toBe(false);
    expect(existsSync(file)).toBe(false);
  });

  linuxIt('skips a live pid whose command line is not what was recorded', async () => {
    const sleeper = start(['sleep', '30']);
    await waitForMembers(sleeper.pid!, 1);
    new ProcessRegistry(file).record('reused#0', entry(sleeper, ['node', 'worker.js']));
    const result = await ProcessRegistry.sweep(file, { graceMs: 200 });
    expect(result.killed).toEqual([]);
    expect(result.skipped).toEqual([
      { id: 'reused#0', pid: sleeper.pid, why: expect.stringContaining('not "node worker.js"') },
    ]);
    expect(isAlive(sleeper.pid!)).toBe(true);
  });

  linuxIt('leaves groups alone while the supervisor that recorded them is still running', async () => {
    const supervisor = start([process.execPath, '-e', 'setTimeout(() => {}, 30000)']);
    const sleeper = start(['sleep', '30']);
    await waitForMembers(sleeper.pid!, 1);
    const data = { version: 1, supervisorPid: supervisor.pid, entries: { 'a#0': entry(sleeper, ['sleep', '30']) } };
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(data));
    const result = await ProcessRegistry.sweep(file, { graceMs: 200 });
    expect(result.killed).toEqual([]);
    expect(result.skipped).toEqual([
      { id: 'a#0', pid: sleeper.pid, why: `supervisor pid ${supervisor.pid} is still running` },
    ]);
    expect(isAlive(sleeper.pid!)).toBe(true);
    expect(existsSync(file)).toBe(true);
  });

  linuxIt('ignores entries whose process is gone', async () => {
    const done = start(['true']);
    await once(done, 'exit');
    new ProcessRegistry(file).record('dead#0', entry(done, ['true']));
    await expect(ProcessRegistry.sweep(file)).resolves.toEqual({ killed: [], skipped: [] });
    expect(existsSync(file)).toBe(false);
  });

  linuxIt('kills an orphaned group only when a member carries the LIGHTNING_HOME marker', async () => {
    const env = { ...process.env, LIGHTNING_HOME: dir };
    const run = async () => {
      const shell = start(['sh', '-c', 'sleep 30 & exit 0'], env);
      await once(shell, 'exit'); // leader gone, its sleep lives on in the group
      const [orphan] = await waitForMembers(shell.pid!, 1);
      new ProcessRegistry(file).record('orphan#0', entry(shell, ['sh', '-c', 'sleep 30 & exit 0']));
      return { shell, orphan: orphan! };
    };

    const first = await run();
    const unverified = await ProcessRegistry.sweep(file, { home: '/somewhere/else' });
    expect(unverified.killed).toEqual([]);
    expect(unverified.skipped[0]?.why).toMatch(/no group member has LIGHTNING_HOME=/);
    expect(isAlive(first.orphan)).toBe(true);

    const second = await run();
    const result = await ProcessRegistry.sweep(file, { home: dir, graceMs: 2000 });
    expect(result.killed).toEqual([{ id: 'orphan#0', pid: second.shell.pid }]);
    expect(await waitForExit([second.orphan], 2000)).toEqual([]);
  });
});

describe('helpers', () => {
  it('matches recorded argv against the live one', () => {
    expect(commandMatches(['sleep', '30'], ['/usr/bin/sleep', '30'])).toBe(true);
    expect(commandMatches(['./agent.js', '--port', '9'], ['node', '/x/agent.js', '--port', '9'])).toBe(true);
    expect(commandMatches(['/usr/bin/setpriv', '--pdeathsig', 'SIGTERM', '--', '/bin/py', 'a'], ['/bin/py', 'a']))
      .toBe(true);
    expect(commandMatches(['sleep', '30'], ['sleep', '31'])).toBe(false);
    expect(commandMatches(['node', 'worker.js'], ['sleep', '30'])).toBe(false);
  });

  it('isAlive and waitForExit track a real process', async () => {
    expect(isAlive(process.pid)).toBe(true);
    const child = start(['sleep', '30']);
    expect(await waitForExit([child.pid!], 100)).toEqual([child.pid]);
    child.kill('SIGTERM');
    expect(await waitForExit([child.pid!], 2000)).toEqual([]);
  });
});
