import { describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, makeProject } from '../helpers/fleet.js';

/** Each bad agents.yaml, through the real CLI: file:line:col, how to fix it, exit 2, nothing started. */
const agent = (extra: string) => `version: 1
agents:
  general_assistant:
    port: 9006
    description: generalist
    prompt: templates/prompts/general_assistant.md
${extra}`;

const cases: Array<{ name: string; yaml: string; where: string; says: RegExp }> = [
  { name: 'YAML syntax error', yaml: 'version: 1\nagents:\n  a: [unclosed\n', where: ':4:1', says: /YAML syntax error/ },
  { name: 'unknown key, with the nearest known key', yaml: agent('    capabilites: [x]\n'), where: ':7:5', says: /unknown key "capabilites".*did you mean "capabilities"/ },
  { name: 'duplicate port', yaml: agent('  other:\n    port: 9006\n    command: ["true"]\n'), where: ':8:11', says: /port 9006/ },
  { name: 'port out of range', yaml: agent('').replace('port: 9006', 'port: 70000'), where: ':4:11', says: /70000/ },
  { name: 'overlapping instance ports', yaml: agent('    instances: 3\n  other:\n    port: 9007\n    command: ["true"]\n'), where: ':9:11', says: /overlap/ },
  { name: 'bad agent name', yaml: agent('  "web developer!":\n    port: 9100\n    command: ["true"]\n'), where: ':7:3', says: /agent name/ },
  { name: 'bad duration', yaml: agent('    health: { interval: 5 parsecs }\n'), where: ':7:25', says: /bad duration "5 parsecs"/ },
  { name: 'missing prompt file', yaml: agent('').replace('general_assistant.md', 'nope.md'), where: ':6:13', says: /nope\.md/ },
  { name: 'empty agents', yaml: 'version: 1\nagents: {}\n', where: ':2:', says: /agent/ },
];

describe('config errors through the CLI', () => {
  it.each(cases)('$name → file:line:col, a fix, exit 2', async ({ yaml, where, says }) => {
    const dir = makeProject(yaml);
    const result = await cli(dir, ['up', '-d']);
    expect(result.exitCode).toBe(2);
    // Shown relative to the current directory, as compilers do.
    expect(result.stderr).toContain(`lightning: agents.yaml${where}`);
    expect(result.stderr).toMatch(says);
    expect(result.stderr).toMatch(/fix: /);
    expect(result.stdout).toBe('');
    // Nothing was left running: the daemon that booted alongside validation exited.
    expect((await cli(dir, ['status'])).exitCode).toBe(3);
  });

  it('config not found: says where it looked, exit 2', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-empty-'));
    const result = await cli(dir, ['status']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('no agents.yaml or agents.yml found; looked in');
    expect(result.stderr).toContain(dir);
    expect(result.stderr).toContain('fix: ');
  });

  it('-c naming a missing file, exit 2', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-empty-'));
    const result = await cli(dir, ['-c', 'nope.yaml', 'up']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`config file not found: ${path.join(dir, 'nope.yaml')}`);
  });

  it('foreground up reports the same errors', async () => {
    const dir = makeProject(agent('    health: { interval: 5 parsecs }\n'));
    const result = await cli(dir, ['up']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`agents.yaml:7:25`);
  });

  it('usage errors exit 2', async () => {
    const dir = makeProject(agent(''));
    expect((await cli(dir, ['frobnicate'])).exitCode).toBe(2);
    expect((await cli(dir, ['up', '--timeout', 'soon', '-d'])).exitCode).toBe(2);
    expect((await cli(dir, ['logs', 'general_assistant', '-n', 'many'])).exitCode).toBe(2);
  });
});
