import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { alive, apiStatus, cli, makeProject, teardown, testAgentYaml, waitFor } from '../helpers/fleet.js';

const head = `version: 1\nsupervisor: { port: 0 }\ndefaults:\n  health: { interval: 200ms, startTimeout: 10s }\n  stop: { grace: 1s }\nagents:\n`;

const canBind = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** Three consecutive free ports. */
async function freePorts(): Promise<number[]> {
  for (;;) {
    const first = 20_000 + Math.floor(Math.random() * 30_000);
    const ports = [first, first + 1, first + 2];
    if ((await Promise.all(ports.map(canBind))).every(Boolean)) return ports;
  }
}

/** Every pid the supervisor ever started for this project, from the instances' logs. */
function startedPids(dir: string): number[] {
  const logs = path.join(dir, '.lightning/logs');
  return readdirSync(logs).flatMap((file) => [...readFileSync(path.join(logs, file), 'utf8').matchAll(/\[lightning\] started pid (\d+)/g)].map((m) => Number(m[1])));
}

describe('reload without races', () => {
  it('one edit that gives a port to one agent and moves another off it applies with no collision', async () => {
    const [p0, p1, p2] = await freePorts();
    const dir = makeProject(head + [testAgentYaml('alpha', { port: p0 }), testAgentYaml('beta', { port: p1 })].join('\n') + '\n');
    try {
      expect((await cli(dir, ['up', '-d'])).exitCode).toBe(0);
      // alpha grows to two instances (alpha#1 takes p1) and beta moves from p1 to p2, in one edit.
      writeFileSync(path.join(dir, 'agents.yaml'), head + [testAgentYaml('alpha', { port: p0, extra: '    instances: 2' }), testAgentYaml('beta', { port: p2 })].join('\n') + '\n');
      const reload = await cli(dir, ['reload']);
      expect(reload.stderr).toBe('');
      expect(reload.exitCode).toBe(0);
      const document = await waitFor('every instance healthy on its new port', async () => {
        const status = await apiStatus(dir);
        return status.agents.length === 3 && status.agents.every((agent) => agent.state === 'healthy') ? status : null;
      }, 20_000);
      const ports = Object.fromEntries(document.agents.map((agent) => [`${agent.name}#${agent.instance}`, agent.port]));
      expect(ports).toEqual({ 'alpha#0': p0, 'alpha#1': p1, 'beta#0': p2 });
      expect(document.agents.every((agent) => agent.restarts === 0)).toBe(true);
    } finally {
      await teardown(dir);
    }
  }, 60_000);

  it('down during a reload stops everything at once and nothing is spawned after "all instances stopped"', async () => {
    const names = ['alpha', 'beta', 'gamma'];
    const dir = makeProject(head + names.map((name) => testAgentYaml(name)).join('\n') + '\n');
    const failFile = path.join(dir, 'unhealthy');
    try {
      expect((await cli(dir, ['up', '-d'])).exitCode).toBe(0);
      await cli(dir, ['tasks']); // the task side (and the reloader) is loaded
      // Every agent changes, and its new instances never become healthy: the rolling restart of
      // the three would take a long time.
      writeFileSync(failFile, '');
      writeFileSync(path.join(dir, 'agents.yaml'), head + names.map((name) => testAgentYaml(name, { env: { FAIL_FILE: failFile } })).join('\n') + '\n');
      const reloading = cli(dir, ['reload'], { timeoutMs: 120_000 });
      await waitFor('the rolling restart under way', async () => (await apiStatus(dir)).agents.some((agent) => agent.state === 'starting' || agent.state === 'unhealthy'), 15_000);
      const down = await cli(dir, ['down'], { timeoutMs: 30_000 });
      expect(down.exitCode).toBe(0);
      await reloading;
      const supervisorLog = readFileSync(path.join(dir, '.lightning/supervisor.log'), 'utf8');
      const stoppedAt = supervisorLog.indexOf('all instances stopped');
      expect(stoppedAt).toBeGreaterThan(-1);
      expect(supervisorLog.slice(stoppedAt)).not.toMatch(/ starting /);
      // Nothing the supervisor ever started is still running, a moment later too.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const pids = startedPids(dir);
      expect(pids.length).toBeGreaterThanOrEqual(4);
      expect(pids.filter((pid) => alive(pid))).toEqual([]);
      // The agents after the first were never restarted: down cut the rolling restart short.
      expect(pids.length).toBeLessThan(6);
    } finally {
      await teardown(dir);
    }
  }, 90_000);
});
