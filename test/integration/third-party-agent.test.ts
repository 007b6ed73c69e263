import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { apiStatus, cli, makeProject, ROOT, teardown, waitFor } from '../helpers/fleet.js';

const AGENT = path.join(ROOT, 'test/fixtures/third-party-agent.mjs');

/**
 * An agent nobody here wrote: an @a2a-js/sdk express server (test/fixtures/third-party-agent.mjs)
 * with no /health and no lightning metadata, declared in agents.yaml with nothing but `command:`
 * and a port. Lightning must find it healthy through its card, learn its skills from the card,
 * route matching tasks to it, and bring it back when it is killed.
 */
describe('a third-party A2A agent under lightning', () => {
  let model: OpenAiTestServer;
  let dir: string;

  beforeAll(async () => {
    model = await startOpenAiTestServer();
    dir = makeProject(`version: 1
supervisor: { port: 0 }
defaults:
  provider: { baseURL: "${model.url}" }
agents:
  general_assistant:
    port: 0
    description: writing and translation
    capabilities: [writing, translation]
    prompt: templates/prompts/general_assistant.md
    fallback: true
  text_stats:
    command: ["${process.execPath}", "${AGENT}"]
    port: 0
`);
    const up = await cli(dir, ['up', '-d']);
    expect({ exitCode: up.exitCode, stderr: up.stderr }).toEqual({ exitCode: 0, stderr: expect.any(String) });
  });
  afterAll(async () => {
    await teardown(dir);
    await model.close();
  });

  const textStats = async () => (await apiStatus(dir)).agents.find((agent) => agent.name === 'text_stats')!;

  it('is discovered by its card: healthy without /health, its skills become capabilities', async () => {
    const agent = await waitFor('text_stats to show its card\'s skills', async () => {
      const found = await textStats();
      return found.state === 'healthy' && found.capabilities.includes('word-count') ? found : null;
    });
    expect(agent.capabilities).toEqual(expect.arrayContaining(['word-count', 'count', 'words', 'statistics']));
    const log = readFileSync(path.join(dir, '.lightning/logs/text_stats-0.log'), 'utf8');
    expect(log).toContain('probing the agent card (/.well-known/agent-card.json) instead');
    // The fleet's own card shows it as a skill, with what its card says.
    const info = JSON.parse(readFileSync(path.join(dir, '.lightning/supervisor.json'), 'utf8')) as { api: string };
    const card = (await (await fetch(`${info.api}/.well-known/agent-card.json`)).json()) as { skills: Array<{ id: string; tags: string[] }> };
    expect(card.skills.find((skill) => skill.id === 'text_stats')?.tags).toEqual(expect.arrayContaining(['word-count', 'wordcount']));
  });

  it('is routed to by what its card says, and completes tasks', async () => {
    const run = await cli(dir, ['run', '--json', 'Count the words in: the quick brown fox jumps']);
    expect(run.exitCode).toBe(0);
    const result = JSON.parse(run.stdout) as { agent: string; status: string; output: string };
    expect(result).toMatchObject({ agent: 'text_stats', status: 'completed' });
    expect(result.output).toMatch(/^5 words, 1 sentences/);
  });

  it('is restarted when killed, and takes tasks again', async () => {
    const before = await textStats();
    expect(before.pid).not.toBeNull();
    process.kill(before.pid!, 'SIGKILL');
    const after = await waitFor('text_stats to come back', async () => {
      const found = await textStats();
      return found.state === 'healthy' && found.pid !== before.pid && found.restarts === before.restarts + 1 ? found : null;
    });
    const run = await cli(dir, ['run', '--json', 'Count the words in: one two three']);
    const result = JSON.parse(run.stdout) as { agent: string; status: string; output: string };
    expect(result).toMatchObject({ agent: 'text_stats', status: 'completed' });
    expect(result.output).toContain(`counted by pid ${after.pid}`);
  });
});
