import { afterAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { findFreePort } from '../../src/supervisor/port-check.js';
import { alive, cli, makeProject, status, teardown, testAgentYaml, waitFor } from '../helpers/fleet.js';

async function fleetYaml(): Promise<string> {
  const builtIn = await findFreePort();
  const custom = await findFreePort();
  return `version: 1
supervisor: { port: 0 }
agents:
  general_assistant:
    port: ${builtIn}
    description: generalist
    capabilities: [writing]
    prompt: templates/prompts/general_assistant.md
${testAgentYaml('custom', { port: custom, env: { IGNORE_TERM: '1' } })}
`;
}

describe('no orphaned processes', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await teardown(dir);
  });

  it('every worker exits within 2 s of a SIGKILLed supervisor, and the next up finds the ports free', async () => {
    const dir = makeProject(await fleetYaml());
    dirs.push(dir);
    expect((await cli(dir, ['up', '-d'])).exitCode).toBe(0);
    const before = await status(dir);
    const workers = before.agents.map((agent) => agent.pid!);
    process.kill(before.supervisor.pid, 'SIGKILL');
    const killedAt = Date.now();
    await waitFor('workers gone', async () => workers.every((pid) => !alive(pid)), 2000, 20);
    expect(Date.now() - killedAt).toBeLessThan(2000);

    const again = await cli(dir, ['up', '-d']);
    expect(again.stderr).toBe('');
    expect(again.exitCode).toBe(0);
    const after = await status(dir);
    expect(after.agents.map((agent) => agent.port)).toEqual(before.agents.map((agent) => agent.port));
    expect(after.agents.every((agent) => agent.state === 'healthy')).toBe(true);
  });

  it('down SIGKILLs an agent that ignores SIGTERM after its grace period', async () => {
    const dir = makeProject((await fleetYaml()).replace('supervisor: { port: 0 }', 'supervisor: { port: 0 }\ndefaults:\n  stop: { grace: 500ms }'));
    dirs.push(dir);
    expect((await cli(dir, ['up', '-d'])).exitCode).toBe(0);
    const pids = (await status(dir)).agents.map((agent) => agent.pid!);
    const down = await cli(dir, ['down']);
    expect(down.exitCode).toBe(0);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    const logs = await cli(dir, ['logs', 'custom']);
    expect(logs.stdout).toContain('sending SIGKILL');
  });

  it('reports a port already in use, naming the agent, the port and the pid holding it', async () => {
    const port = await findFreePort();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const dir = makeProject(`version: 1\nsupervisor: { port: 0 }\nagents:\n${testAgentYaml('blocked', { port })}\n${testAgentYaml('free')}\n`);
      dirs.push(dir);
      const up = await cli(dir, ['up', '-d']);
      expect(up.exitCode).toBe(1);
      expect(up.stderr).toContain(`port ${port} for blocked#0 is already in use by pid ${process.pid}`);
      const doc = await status(dir);
      expect(doc.agents.find((agent) => agent.name === 'blocked')).toMatchObject({ state: 'failed', restarts: 0 });
      expect(doc.agents.find((agent) => agent.name === 'free')).toMatchObject({ state: 'healthy' });
    } finally {
      blocker.close();
    }
  });
});
