import { afterAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import type { ResultPromise } from 'execa';
import { findFreePort } from '../../src/supervisor/port-check.js';
import { cli, makeProject, teardown, testAgentYaml, waitFor } from '../helpers/fleet.js';
import { cliInPty } from '../helpers/pty.js';

// eslint-disable-next-line no-control-regex
const plain = (text: string) => text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');

/**
 * `lightning status` on an 80-column terminal, with one agent whose reason is long (the command
 * line of a program holding its port): every line fits, the reason is cut with "…", and it is
 * whole in `status --json` and `lightning status NAME`.
 */
describe('lightning status on an 80-column terminal', () => {
  let dir = '';
  let squatter: ResultPromise | null = null;
  afterAll(async () => {
    squatter?.kill('SIGKILL');
    if (dir) await teardown(dir);
  });

  it('fits every line, cuts the long reason with "…", and shows it whole in --json and status NAME', async () => {
    const port = await findFreePort();
    // Long enough that the reason (which cuts the command at 120 characters) is far wider than 80.
    const longArg = `--directory=/srv/${'very-long-directory-name/'.repeat(6)}`;
    squatter = execa(process.execPath, ['-e', `require('net').createServer().listen(${port}, '127.0.0.1', () => console.log('ready'))`, '--', longArg], { reject: false });
    await new Promise<void>((resolve) => squatter!.stdout!.once('data', () => resolve()));
    dir = makeProject(`version: 1
supervisor: { port: 0 }
agents:
${testAgentYaml('helper')}
${testAgentYaml('blocked', { port })}
`);
    // The blocked agent waits for its port, so `up -d` returns at its --timeout, saying so.
    await cli(dir, ['up', '-d', '--timeout', '3s'], { timeoutMs: 30_000 });
    const reason = await waitFor('the blocked agent says why', async () => {
      const doc = JSON.parse((await cli(dir, ['status', '--json'])).stdout) as { agents: Array<{ name: string; reason: string | null }> };
      return doc.agents.find((agent) => agent.name === 'blocked')?.reason ?? null;
    }, 20_000, 200);
    expect(reason.length).toBeGreaterThan(160);

    const pty = cliInPty(dir, ['status'], { NO_COLOR: '1' }, { columns: 80, rows: 24 });
    expect(await pty.exit(20_000)).toBe(0);
    const lines = plain(pty.output()).split('\n').filter((line) => line.trim() !== '');
    expect(lines.filter((line) => line.length > 80)).toEqual([]);
    const blocked = lines.find((line) => line.startsWith('blocked#0'));
    expect(blocked).toMatch(/…$/);

    const detail = await cli(dir, ['status', 'blocked']);
    expect(detail.exitCode).toBe(0);
    expect(detail.stdout).toContain(reason);
    expect(detail.stdout).toMatch(/instance 0 +\S+/);
    expect(detail.stdout).toContain('skills');
    const unknown = await cli(dir, ['status', 'nobody']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('no agent "nobody" in the fleet');
  }, 90_000);
});
