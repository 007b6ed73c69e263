import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { BIN, apiStatus, cli, makeProject, teardown, userEnv, waitFor } from '../helpers/fleet.js';
import { findFreePort } from '../../src/supervisor/port-check.js';

describe('instances and logs', () => {
  let dir: string;
  let base: number;

  beforeAll(async () => {
    base = await findFreePort();
    dir = makeProject(`version: 1
supervisor: { port: 0 }
agents:
  general_assistant:
    port: ${base}
    instances: 2
    description: generalist
    capabilities: [writing]
    prompt: templates/prompts/general_assistant.md
`);
    const up = await cli(dir, ['up', '-d']);
    expect(up.exitCode).toBe(0);
  });
  afterAll(() => teardown(dir));

  it('runs N processes on consecutive ports', async () => {
    const { agents } = await apiStatus(dir);
    expect(agents.map((agent) => [agent.name, agent.instance, agent.port, agent.state])).toEqual([
      ['general_assistant', 0, base, 'healthy'],
      ['general_assistant', 1, base + 1, 'healthy'],
    ]);
    expect(new Set(agents.map((agent) => agent.pid)).size).toBe(2);
  });

  it('prefixes lines with the instance when an agent has several; NAME/1 picks one', async () => {
    const all = (await cli(dir, ['logs', 'general_assistant'])).stdout;
    expect(all).toMatch(/^general_assistant\/0 \| \S+ \[lightning\] started pid/m);
    expect(all).toMatch(/^general_assistant\/1 \| \S+ \[lightning\] started pid/m);
    const one = (await cli(dir, ['logs', 'general_assistant/1'])).stdout;
    expect(one).toContain('general_assistant#1 ready on');
    expect(one).not.toContain('general_assistant#0');
    const bad = await cli(dir, ['logs', 'general_assistant/5']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('general_assistant has 2 instance(s)');
  });

  it('logs -f follows an instance across a restart', async () => {
    const follower = execa(process.execPath, [BIN, 'logs', 'general_assistant/0', '-f', '-n', '1'], { cwd: dir, env: userEnv(), extendEnv: false, reject: false });
    let seen = '';
    follower.stdout!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    try {
      // The last line printed means the follower is up and following from the end.
      await waitFor('the follower to start', async () => seen.length > 0, 10_000);
      seen = '';
      const victim = (await apiStatus(dir)).agents[0]!;
      process.kill(victim.pid!, 'SIGKILL');
      await waitFor('restart seen by the follower', async () => /general_assistant#0 ready on/.test(seen) && seen.includes('killed by SIGKILL'), 10_000);
    } finally {
      follower.kill('SIGINT');
    }
    const result = await follower;
    expect(result.exitCode).toBe(130);
    expect(seen).toMatch(/\[lightning\] killed by SIGKILL (after [\d.]+ m?s healthy; restarting at once|[\d.]+ m?s after it was healthy; restart 1 in 0 ms)/);
    expect(seen).toMatch(/\[lightning\] started pid \d+ on port/);
  });
});

describe('status --watch', () => {
  it('redraws with in-flight and success columns until interrupted', async () => {
    const dir = makeProject(`version: 1\nsupervisor: { port: 0 }\nagents:\n  general_assistant:\n    port: 0\n    description: g\n    capabilities: [writing]\n    prompt: templates/prompts/general_assistant.md\n`);
    try {
      expect((await cli(dir, ['up', '-d'])).exitCode).toBe(0);
      const watch = execa(process.execPath, [BIN, 'status', '--watch'], { cwd: dir, env: userEnv(), extendEnv: false, reject: false });
      let seen = '';
      watch.stdout!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
      await waitFor('two frames', async () => (seen.match(/refreshing every/g) ?? []).length >= 2, 10_000);
      watch.kill('SIGINT');
      const result = await watch;
      expect(result.exitCode).toBe(0);
      expect(seen).toContain('IN FLIGHT');
      expect(seen).toContain('SUCCESS');
      expect(seen).toMatch(/general_assistant\s+0\s+healthy/);
      expect((await cli(dir, ['status', '--watch', '--json'])).exitCode).toBe(2);
    } finally {
      await teardown(dir);
    }
  });
});
