import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execa } from 'execa';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { apiStatus, cli, teardown, upSingleAgent, waitFor } from '../helpers/fleet.js';

async function promtool(): Promise<string | null> {
  const found = await execa('sh', ['-c', 'command -v promtool'], { reject: false });
  return found.exitCode === 0 ? String(found.stdout).trim() : null;
}

describe('Prometheus metrics', () => {
  let model: OpenAiTestServer;
  let dir: string;
  let api: string;

  beforeAll(async () => {
    model = await startOpenAiTestServer();
    const fleet = await upSingleAgent(model.url, { instances: 2, health: '{ interval: 100ms }' });
    dir = fleet.dir;
    api = fleet.api;
  });
  afterAll(async () => {
    await teardown(dir);
    await model.close();
  });

  it('serves fleet, task, routing and ledger metrics after real traffic (no token needed)', async () => {
    for (let i = 0; i < 3; i += 1) expect((await cli(dir, ['run', `Say hello ${i}`])).exitCode).toBe(0);
    const victim = (await apiStatus(dir)).agents[0]!;
    process.kill(victim.pid!, 'SIGKILL');
    await waitFor('restart', async () => (await apiStatus(dir)).agents[0]!.restarts === 1);
    const response = await fetch(`${api}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(/^lightning_agent_up\{agent="general_assistant",instance="1"\} 1$/m);
    expect(text).toMatch(/^lightning_agent_restarts_total\{agent="general_assistant",instance="0"\} 1$/m);
    expect(text).toMatch(/^lightning_agent_state\{agent="general_assistant",instance="1",state="healthy"\} 1$/m);
    expect(text).toMatch(/^lightning_tasks_total\{agent="general_assistant",outcome="completed"\} 3$/m);
    expect(text).toMatch(/^lightning_task_duration_seconds_count\{agent="general_assistant"\} 3$/m);
    expect(text).toMatch(/^lightning_routing_decisions_total\{agent="general_assistant",decision="static",kind="(exploit|explore|fallback)"\} \d+$/m);
    const routed = [...text.matchAll(/^lightning_routing_decisions_total\{agent="general_assistant",decision="static",kind="\w+"\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
    expect(routed).toBe(3);
    expect(text).toMatch(/^lightning_health_probe_duration_seconds_count\{agent="general_assistant"\} \d+$/m);
    expect(text).toMatch(/^lightning_ledger_write_duration_seconds_count \d+$/m);
    expect(text).toMatch(/^lightning_supervisor_process_resident_memory_bytes \d+/m);
    expect(text).not.toMatch(/task_?id=/i);

    const tool = await promtool();
    if (!tool) {
      console.warn('promtool not found (Debian package "prometheus"): the metrics format check was skipped');
      return;
    }
    const check = await execa(tool, ['check', 'metrics'], { input: text, reject: false });
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.exitCode).toBe(0);
  });
});
