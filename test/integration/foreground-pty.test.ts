import { afterAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { BIN, alive, makeProject, testAgentYaml, userEnv, waitFor } from '../helpers/fleet.js';
import { cliInPty } from '../helpers/pty.js';

/**
 * Ctrl-C as a user presses it: `lightning up` runs under a real pseudo-terminal (script(1)) and
 * gets the byte \x03, which the terminal turns into SIGINT for the foreground process group.
 */
describe('lightning up in the foreground, Ctrl-C on a terminal', () => {
  let model: OpenAiTestServer;
  afterAll(async () => model?.close());

  it('first Ctrl-C says how many tasks it drains and that a second forces; the second kills every instance with no restart and exits', async () => {
    // A task that takes 60 s keeps the graceful stop waiting, so the second press has work to do.
    model = await startOpenAiTestServer({ behavior: { type: 'slow', tokens: 600, intervalMs: 100 } });
    const dir = makeProject(`version: 1
supervisor: { port: 0 }
defaults:
  provider: { baseURL: "${model.url}" }
  stop: { grace: 30s }
agents:
  general_assistant:
    port: 0
    description: writing and translation
    capabilities: [writing, translation]
    prompt: templates/prompts/general_assistant.md
    fallback: true
${testAgentYaml('helper')}
${testAgentYaml('ignores_term', { env: { IGNORE_TERM: '1' } })}
`);
    const pty = cliInPty(dir, ['up']);
    const { child } = pty;
    let output = '';
    child.stdout!.on('data', () => (output = pty.output()));
    try {
      await waitFor('three instances healthy', async () => (output.match(/ healthy /g) ?? []).length >= 3, 30_000);
      const info = JSON.parse(readFileSync(path.join(dir, '.lightning/supervisor.json'), 'utf8')) as { api: string; token: string };
      const submitted = await fetch(`${info.api}/v1/tasks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ input: 'Translate a long paragraph into French', agent: 'general_assistant' }),
      });
      expect(submitted.status).toBeLessThan(300);
      await waitFor('the task reached the model', async () => model.requests.length > 0, 15_000);
      const pidsBefore = spawnedPids(output);
      expect(pidsBefore).toHaveLength(3);

      pty.ctrlC();
      await waitFor('the first Ctrl-C answered', async () => /stopping gracefully/.test(output), 10_000);
      expect(output).toMatch(/SIGINT: stopping gracefully, draining 1 task in flight; press Ctrl-C again to force/);
      // The graceful stop is waiting (the task, then ignores_term's 30 s grace).
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(output).not.toContain('all instances stopped');

      pty.ctrlC();
      expect(await pty.exit(15_000)).not.toBeNull();
      output = pty.output();
      expect(output).toContain('SIGINT again: killing every instance now (SIGKILL, no restart)');
      expect(output).toContain('all instances stopped');
      // No restart: no instance went to backoff, and no pid was spawned after the first three.
      const afterForce = output.slice(output.indexOf('SIGINT again'));
      expect(afterForce).not.toMatch(/backoff|starting/);
      expect(spawnedPids(output)).toEqual(pidsBefore);
      for (const pid of pidsBefore) await waitFor(`pid ${pid} gone`, async () => !alive(pid), 5000);
    } finally {
      child.kill('SIGKILL');
      await execa(process.execPath, [BIN, 'down'], { cwd: dir, env: userEnv(), extendEnv: false, reject: false });
    }
  }, 90_000);
});

function spawnedPids(output: string): number[] {
  return [...output.matchAll(/starting\s+pid (\d+)/g)].map((match) => Number(match[1]));
}
