import { describe, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LightningConfig } from '../../src/config/types.js';
import { checkCommands } from '../../src/doctor/commands.js';
import { checkConfig } from '../../src/doctor/config-check.js';
import { checkNodeVersion } from '../../src/doctor/node-version.js';
import { checkStateDir } from '../../src/doctor/state-dir.js';

/** The doctor checks that need no network or processes, on the edges the CLI test cannot reach. */
describe('doctor checks', () => {
  it('Node: 20 and newer pass, older is a problem with the fix', () => {
    expect(checkNodeVersion('20.0.0').status).toBe('ok');
    expect(checkNodeVersion('22.11.0').status).toBe('ok');
    expect(checkNodeVersion('18.19.1')).toMatchObject({ status: 'problem', message: 'Node 18.19.1 is too old: lightning needs Node 20 or newer' });
  });

  it('state directory: a file in its place, or a new one under a writable parent', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-doctor-'));
    const file = path.join(dir, 'home');
    writeFileSync(file, '');
    expect(checkStateDir(file)).toMatchObject({ status: 'problem', message: `state directory ${file} is a file, not a directory` });
    expect(checkStateDir(path.join(dir, 'a', 'b'))).toMatchObject({ status: 'ok', message: `state directory ${path.join(dir, 'a', 'b')} does not exist yet; it will be created in ${dir}` });
    expect(checkStateDir(dir)).toMatchObject({ status: 'ok', message: `state directory ${dir} is writable` });
  });

  it('custom commands: on PATH, by path (executable or not), and variables only known at spawn', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-doctor-'));
    writeFileSync(path.join(dir, 'agent.sh'), '#!/bin/sh\n');
    writeFileSync(path.join(dir, 'not-executable.sh'), '#!/bin/sh\n');
    chmodSync(path.join(dir, 'agent.sh'), 0o755);
    const agent = (name: string, command: string[]) => ({ name, command, cwd: dir, env: {}, url: null }) as unknown as LightningConfig['agents'][number];
    const config = {
      dir,
      alerts: { command: null },
      agents: [agent('a', ['sh', '-c', 'x']), agent('b', ['./agent.sh']), agent('c', ['./not-executable.sh']), agent('d', ['no-such-program-xyz']), agent('e', ['${PORT}'])],
    } as unknown as LightningConfig;
    const findings = checkCommands(config, { PATH: process.env.PATH ?? '/usr/bin:/bin' });
    expect(findings.map((finding) => [finding.status, finding.message])).toEqual([
      ['problem', `agent c: program ${path.join(dir, 'not-executable.sh')} does not exist or is not executable`],
      ['problem', 'agent d: program "no-such-program-xyz" is not on PATH'],
      ['warn', 'agent e: cannot check program "${PORT}" before start (it uses a variable set at spawn)'],
    ]);
  });

  it('config: a duration without a unit is a problem, as for up (no false "valid")', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-doctor-'));
    writeFileSync(path.join(dir, 'agents.yaml'), 'version: 1\ndefaults:\n  task: { timeout: 120 }\nagents:\n  a: { port: 9001, description: helps }\n');
    const { finding, config } = checkConfig({ cwd: dir });
    expect(config).toBeNull();
    expect(finding.status).toBe('problem');
    expect(finding.message).toContain('agents.yaml:3:20: defaults.task.timeout: duration 120 has no unit — did you mean 120s?');
  });
});
