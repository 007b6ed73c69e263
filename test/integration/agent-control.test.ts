import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { InstanceStatus } from '../../src/protocol/status.js';
import { apiStatus, cli, makeProject, teardown, testAgentYaml, waitFor } from '../helpers/fleet.js';

/** `lightning restart|stop|start NAME[/i]` against a live fleet of test agents. */
describe('lightning restart | stop | start', () => {
  let dir: string;
  let crashFile: string;
  const find = async (name: string, index = 0): Promise<InstanceStatus> =>
    (await apiStatus(dir)).agents.find((agent) => agent.name === name && agent.instance === index)!;
  const ledgerControls = () =>
    readFileSync(path.join(dir, '.lightning/ledger.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { event: string; action?: string; agent?: string; instance?: number | null })
      .filter((event) => event.event === 'control');

  beforeAll(async () => {
    dir = makeProject('');
    crashFile = path.join(dir, 'crash-now');
    writeFileSync(crashFile, '');
    writeFileSync(
      path.join(dir, 'agents.yaml'),
      `version: 1
supervisor: { port: 0 }
defaults:
  health: { interval: 200ms, timeout: 200ms, failureThreshold: 3, startTimeout: 5s }
  restart: { initialDelay: 50ms, maxDelay: 200ms, maxRestarts: 2 }
  stop: { grace: 1s }
agents:
${testAgentYaml('crasher', { env: { CRASH_FILE: crashFile } })}
${testAgentYaml('pair', { extra: '    instances: 2' })}
${testAgentYaml('solo')}
`,
    );
    const up = await cli(dir, ['up', '-d']);
    expect(up.exitCode).toBe(1); // the crasher cannot come up
    await waitFor('crasher failed', async () => (await find('crasher')).state === 'failed', 15_000);
  }, 60_000);
  afterAll(() => teardown(dir));

  it('restart of a failed instance clears its streak and brings it back once its cause is fixed', async () => {
    const failed = await find('crasher');
    expect(failed.reason).toMatch(/^exited with code 3; gave up after 2 restarts in a row; last output: .*crashing on purpose/);
    // Still broken: restart tries again (a fresh streak) and says it did not come up.
    const still = await cli(dir, ['restart', 'crasher']);
    expect(still.exitCode).toBe(1);
    expect(still.stderr).toMatch(/not healthy after restart:\n  crasher#0 (backoff|starting|failed)/);
    await waitFor('crasher failed again', async () => (await find('crasher')).state === 'failed', 15_000);
    rmSync(crashFile);
    const fixed = await cli(dir, ['restart', 'crasher/0']);
    expect(fixed.stderr).toBe('');
    expect(fixed.exitCode).toBe(0);
    expect(fixed.stdout).toMatch(/^restarted crasher#0: crasher#0 healthy pid \d+/);
    expect(await find('crasher')).toMatchObject({ state: 'healthy', reason: null });
  }, 30_000);

  it('restart of several instances is rolling: one at a time, the other healthy meanwhile', async () => {
    const before = [await find('pair', 0), await find('pair', 1)];
    let bothDown = false;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const rows = (await apiStatus(dir)).agents.filter((agent) => agent.name === 'pair');
        if (rows.every((row) => row.state !== 'healthy')) bothDown = true;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const restarted = await cli(dir, ['restart', 'pair']);
    polling = false;
    await poll;
    expect(restarted.exitCode).toBe(0);
    expect(bothDown).toBe(false);
    const after = [await find('pair', 0), await find('pair', 1)];
    for (const [i, row] of after.entries()) {
      expect(row.state).toBe('healthy');
      expect(row.pid).not.toBe(before[i]!.pid);
    }
  }, 30_000);

  it('stop keeps an agent stopped (no probe restarts it) until start, and up starts it too', async () => {
    const stopped = await cli(dir, ['stop', 'solo']);
    expect(stopped.exitCode).toBe(0);
    expect(stopped.stdout).toContain('stopped solo; it stays stopped until `lightning start solo`');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await find('solo')).toMatchObject({ state: 'stopped', pid: null });
    expect((await find('solo')).reason).toContain('stopped by lightning stop');
    const table = (await cli(dir, ['status'])).stdout;
    expect(table).toMatch(/solo\s+0\s+stopped\s.*stopped by lightning stop/);
    const started = await cli(dir, ['start', 'solo']);
    expect(started.exitCode).toBe(0);
    expect(started.stdout).toMatch(/^started solo: solo#0 healthy pid \d+/);
    await cli(dir, ['stop', 'solo']);
    const up = await cli(dir, ['up']);
    expect(up.exitCode).toBe(0);
    expect(up.stdout).toContain('started solo#0');
    expect(await find('solo')).toMatchObject({ state: 'healthy' });
  }, 30_000);

  it('every control is a ledger event; bad names and instances are usage errors that list what exists', async () => {
    await waitFor('ledger written', async () => existsSync(path.join(dir, '.lightning/ledger.jsonl')) && ledgerControls().length >= 6, 5000);
    const controls = ledgerControls().map((event) => `${event.action} ${event.agent}${event.instance === null ? '' : `/${event.instance}`}`);
    expect(controls).toEqual(['restart crasher', 'restart crasher/0', 'restart pair', 'stop solo', 'start solo', 'stop solo', 'start solo/0']);
    const unknown = await cli(dir, ['restart', 'nobody']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('unknown agent "nobody"; agents: crasher, pair, solo');
    const noSuchInstance = await cli(dir, ['stop', 'pair/5']);
    expect(noSuchInstance.exitCode).toBe(2);
    expect(noSuchInstance.stderr).toContain('pair has no instance 5; its instances are 0, 1');
    const garbage = await cli(dir, ['start', 'pair/x']);
    expect(garbage.exitCode).toBe(2);
    expect(garbage.stderr).toContain('the part after / is an instance number');
  });
});
