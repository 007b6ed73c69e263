import { afterAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { planInstances } from '../../src/config/plan.js';
import type { ProbeOutcome } from '../../src/supervisor/health-prober.js';
import { RemoteAgent } from '../../src/supervisor/remote-agent.js';
import { FakeClock } from '../helpers/fake-clock.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function load(yaml: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lightning-remote-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'p.md'), 'You help.\n');
  fs.writeFileSync(path.join(dir, 'agents.yaml'), yaml);
  return loadConfig(path.join(dir, 'agents.yaml'));
}

function errorOf(yaml: string): ConfigError {
  try {
    load(yaml);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('url: in agents.yaml', () => {
  it('makes an agent remote: no command, port taken from the URL, no port clash checks', () => {
    const config = load('version: 1\nagents:\n  local: { port: 9001, prompt: p.md }\n  far:\n    url: http://10.0.0.5:9001/\n    capabilities: [csv]\n');
    const far = config.agents.find((agent) => agent.name === 'far');
    expect(far).toMatchObject({ url: 'http://10.0.0.5:9001', port: 9001, command: null, prompt: null, instances: 1 });
    expect(planInstances(config).map((spec) => `${spec.agent.name}:${spec.port}`)).toEqual(['local:9001', 'far:9001']);
  });

  it('refuses keys that only apply to agents lightning starts, at the key', () => {
    const error = errorOf('version: 1\nagents:\n  far:\n    url: http://10.0.0.5:9001\n    command: ["python3", "x.py"]\n');
    expect(error.line).toBe(5);
    expect(error.message).toMatch(/has url: .* and command:/);
    expect(error.hint).toMatch(/remove command:/);
  });

  it('a local agent without a port is told to add one, or a url', () => {
    const error = errorOf('version: 1\nagents:\n  web:\n    prompt: p.md\n');
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/missing required key "port" in agents.web/);
    expect(error.hint).toMatch(/port: \d+.*url: http/);
  });

  it('rejects a url that is not http(s)', () => {
    const error = errorOf('version: 1\nagents:\n  far: { url: "ftp://x" }\n');
    expect(error.message).toMatch(/http/);
  });
});

describe('RemoteAgent (virtual time)', () => {
  function setup(script: Array<Partial<ProbeOutcome> & { ok: boolean; status?: number }>) {
    const clock = new FakeClock();
    const config = load('version: 1\nagents:\n  far:\n    url: http://127.0.0.1:1\n    health: { interval: 1s, failureThreshold: 3 }\n');
    const spec = planInstances(config)[0]!;
    const urls: string[] = [];
    const changes: string[] = [];
    const notes: string[] = [];
    let i = 0;
    const member = new RemoteAgent(spec, 'remote', 'http://127.0.0.1:1', {
      clock,
      probe: async (url) => {
        urls.push(url);
        const next = script[Math.min(i++, script.length - 1)]!;
        return next.ok ? { ok: true, latencyMs: 1, body: null } : { ok: false, latencyMs: 1, error: 'ECONNREFUSED', ...(next.status ? { status: next.status } : {}) };
      },
      note: (message) => notes.push(message),
      onChange: (changed) => changes.push(changed.state.name),
    });
    return { clock, member, urls, changes, notes };
  }

  it('never answered → unreachable at once; answers → healthy; tolerates failureThreshold-1 misses', async () => {
    const { clock, member, changes } = setup([{ ok: false }, { ok: true }, { ok: false }, { ok: false }, { ok: true }, { ok: false }, { ok: false }, { ok: false }]);
    await member.start();
    await clock.advance(0);
    expect(member.state.name).toBe('unreachable');
    expect(member.reason).toMatch(/ECONNREFUSED/);
    await clock.advance(1000);
    expect(member.state.name).toBe('healthy');
    await clock.advance(2000); // two misses: still healthy
    expect(member.state.name).toBe('healthy');
    await clock.advance(4000); // ok, then three misses
    expect(member.state.name).toBe('unreachable');
    expect(changes).toEqual(['starting', 'unreachable', 'healthy', 'unreachable']);
    expect(member.restarts).toBe(0);
    expect(member.pid).toBeNull();
    await member.stop();
    expect(member.state.name).toBe('stopped');
  });

  it('an A2A agent without a health route (404) is probed at its agent card', async () => {
    const { clock, member, urls, notes } = setup([{ ok: false, status: 404 }, { ok: true }]);
    await member.start();
    await clock.advance(0);
    expect(member.state.name).toBe('healthy');
    expect(urls).toEqual(['http://127.0.0.1:1/health', 'http://127.0.0.1:1/.well-known/agent-card.json']);
    expect(notes.join('\n')).toMatch(/404; probing the agent card/);
    await member.stop();
  });
});
