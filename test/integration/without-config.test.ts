import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { alive, apiStatus, cli, makeProject, teardown, testAgentYaml } from '../helpers/fleet.js';

/**
 * The commands that need only the state directory keep working when agents.yaml is broken
 * mid-edit, refused, or gone — that is when a user most needs to look at or stop the fleet. Each
 * says what is wrong with the config as a warning, and `down` never leaves a fleet running.
 */
const GOOD = `version: 1\nsupervisor: { port: 0 }\nagents:\n${testAgentYaml('alpha', { extra: '    instances: 2' })}\n${testAgentYaml('beta')}\n`;
const BROKEN = GOOD.replace('agents:\n', 'agents:\n  gamma: [unclosed\n'); // a YAML syntax error, as mid-edit
const REFUSED = GOOD.replace('instances: 2', 'instances: 2\n    capabilites: [oops]'); // valid YAML, refused by the schema

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await teardown(dir);
});

async function upFleet(): Promise<{ dir: string; pids: number[] }> {
  const dir = makeProject(GOOD);
  dirs.push(dir);
  mkdirSync(path.join(dir, 'sub/deeper'), { recursive: true });
  const up = await cli(dir, ['up', '-d']);
  expect(up.exitCode).toBe(0);
  const document = await apiStatus(dir);
  return { dir, pids: [document.supervisor.pid, ...document.agents.map((agent) => agent.pid!)] };
}

describe('without a usable agents.yaml', () => {
  it('broken mid-edit: status, tasks, logs (all agents and one) and down work from a subdirectory, warning about the YAML', async () => {
    const { dir, pids } = await upFleet();
    writeFileSync(path.join(dir, 'agents.yaml'), BROKEN);
    const sub = path.join(dir, 'sub/deeper');

    const status = await cli(sub, ['status']);
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toContain('alpha');

    expect((await cli(sub, ['tasks'])).exitCode).toBe(0);

    const all = await cli(sub, ['logs']);
    expect(all.exitCode).toBe(0);
    expect(all.stderr).toMatch(/warning: .*agents\.yaml:\d+:\d+: YAML syntax error/);
    expect(all.stderr).toContain(`carrying on from the state directory ${path.join(dir, '.lightning')}`);
    for (const prefix of ['alpha/0 | ', 'alpha/1 | ', 'beta/0 | ']) expect(all.stdout).toContain(prefix);

    const one = await cli(sub, ['logs', 'alpha/1']);
    expect(one.exitCode).toBe(0);
    expect(one.stdout).toContain('[lightning] started pid');
    expect(one.stdout).not.toContain(' | ');

    const down = await cli(sub, ['down']);
    expect(down.exitCode).toBe(0);
    expect(down.stderr).toContain('YAML syntax error');
    expect(down.stdout).toContain('stopped 3 instance(s) and the supervisor');
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('refused (valid YAML, invalid config): logs and down work, with --home from anywhere', async () => {
    const { dir, pids } = await upFleet();
    writeFileSync(path.join(dir, 'agents.yaml'), REFUSED);
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'lightning-elsewhere-'));
    const home = path.join(dir, '.lightning');

    const logs = await cli(dir, ['logs', 'beta']);
    expect(logs.exitCode).toBe(0);
    expect(logs.stderr).toMatch(/warning: agents\.yaml:\d+:\d+: unknown key "capabilites"/);
    expect(logs.stdout).toContain('[lightning] started pid');

    // --home from a directory with no agents.yaml anywhere above it: the missing config is the warning.
    expect((await cli(elsewhere, ['--home', home, 'logs', 'alpha'])).exitCode).toBe(0);
    const down = await cli(elsewhere, ['--home', home, 'down']);
    expect(down.exitCode).toBe(0);
    expect(down.stdout).toContain('stopped 3 instance(s) and the supervisor');
    for (const pid of pids) expect(alive(pid)).toBe(false);
    rmSync(elsewhere, { recursive: true, force: true });
  });

  it('missing, with supervisor.json corrupt: down stops the supervisor the state directory records and its workers', async () => {
    const { dir, pids } = await upFleet();
    rmSync(path.join(dir, 'agents.yaml'));
    writeFileSync(path.join(dir, '.lightning/supervisor.json'), '{"pid": tor');
    const sub = path.join(dir, 'sub');

    const status = await cli(sub, ['status']);
    expect(status.stderr).toMatch(/warning: .*no agents\.yaml or agents\.yml found/);
    expect(status.exitCode).toBe(3); // no supervisor it can talk to: what status says, not a crash

    const down = await cli(sub, ['down']);
    expect(down.exitCode).toBe(0);
    expect(down.stdout).toMatch(/stopped the supervisor \(pid \d+\) of .*\.lightning, which its control API did not answer for/);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });
});
