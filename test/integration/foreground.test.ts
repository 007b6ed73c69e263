import { describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { BIN, alive, makeProject, testAgentYaml, userEnv, waitFor } from '../helpers/fleet.js';

describe('lightning up in the foreground', () => {
  it('prints state changes as they happen and stops everything on Ctrl-C (exit 130)', async () => {
    const dir = makeProject(`version: 1\nsupervisor: { port: 0 }\nagents:\n${testAgentYaml('one')}\n${testAgentYaml('two')}\n`);
    const child = execa(process.execPath, [BIN, 'up'], { cwd: dir, env: userEnv(), extendEnv: false, reject: false, buffer: true });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor('both healthy', async () => (output.match(/ healthy /g) ?? []).length >= 2, 15_000);
    const pids = [...output.matchAll(/starting\s+pid (\d+)/g)].map((match) => Number(match[1]));
    expect(pids).toHaveLength(2);
    expect(output).toMatch(/one#0\s+healthy\s+pid \d+ port \d+/);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(String(result.stdout)).toContain('SIGINT: stopping gracefully');
    expect(String(result.stdout)).toContain('all instances stopped');
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });
});
