import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ROOT, waitFor } from '../helpers/fleet.js';
import { findFreePort } from '../../src/supervisor/port-check.js';

const AGENT = path.join(ROOT, 'templates/agent-python/agent.py');

/**
 * The scaffolded Python agent as the supervisor runs it: stdin a pipe from the supervisor and
 * LIGHTNING_SUPERVISOR_PID set (this process is its parent), so its orphan watch is on.
 */
async function startAgent() {
  const port = await findFreePort();
  const child = spawn('python3', [AGENT], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port), LIGHTNING_SUPERVISOR_PID: String(process.pid) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  await waitFor('the agent listening', async () => output.includes('listening on'), 10_000);
  return { child, exited, output: () => output };
}

describe('templates/agent-python stops cleanly', () => {
  it('python3 is the 3.11 this test is about', async () => {
    const version = spawn('python3', ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']);
    let text = '';
    version.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    await new Promise((resolve) => version.once('exit', resolve));
    expect(Number(text.trim().split('.')[1])).toBeGreaterThanOrEqual(11);
  });

  it('exits 0 on SIGTERM, five times out of five, with no "Fatal Python error" abort', async () => {
    // The abort came from the stdin watcher holding the buffered reader's lock at exit; it hit
    // every stop, and five runs make a regression certain to show.
    for (let run = 0; run < 5; run += 1) {
      const agent = await startAgent();
      agent.child.kill('SIGTERM');
      const { code, signal } = await agent.exited;
      expect(agent.output()).not.toContain('Fatal Python error');
      expect({ code, signal }).toEqual({ code: 0, signal: null });
    }
  });

  it('still exits 0 by itself when its supervisor\'s end of stdin closes', async () => {
    const agent = await startAgent();
    agent.child.stdin.end();
    const { code, signal } = await agent.exited;
    expect(agent.output()).not.toContain('Fatal Python error');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });
});
