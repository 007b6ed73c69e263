import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DASHBOARD_HTML } from '../../src/api/dashboard-page.js';
import { describeRecord } from '../../src/router/policy.js';
import { startOpenAiTestServer } from '../fixtures/openai-server.js';
import type { OpenAiTestServer } from '../fixtures/openai-server.js';
import { cli, teardown, upSingleAgent } from '../helpers/fleet.js';

/**
 * One source for the router's numbers: `stats`, `route` and the dashboard (which reads
 * GET /v1/stats and shows its `learned.text`) say the same learned rate and evidence.
 */
describe('the learned rate, the same on every screen', () => {
  let model: OpenAiTestServer;
  let fleet: { dir: string; api: string; token: string };
  beforeAll(async () => {
    model = await startOpenAiTestServer({ behavior: { type: 'echo' } });
    fleet = await upSingleAgent(model.url);
  });
  afterAll(async () => {
    await teardown(fleet.dir);
    await model?.close();
  });

  it('GET /v1/stats words it as route and stats do, and the dashboard shows that text', async () => {
    const input = 'Translate this paragraph into French';
    for (let n = 0; n < 3; n++) expect((await cli(fleet.dir, ['run', input])).exitCode).toBe(0);
    const stats = (await (await fetch(`${fleet.api}/v1/stats`, { headers: { authorization: `Bearer ${fleet.token}` } })).json()) as {
      rows: Array<{ agent: string; learned: { estimate: number | null; evidence: number; text: string } | null }>;
    };
    const row = stats.rows.find((candidate) => candidate.agent === 'general_assistant')!;
    expect(row.learned).not.toBeNull();
    expect(row.learned!.text).toBe(describeRecord(row.learned!.estimate, row.learned!.evidence));
    expect(row.learned!.text).toMatch(/^\d+ % over [\d.]+ similar outcomes?$/);

    const route = JSON.parse((await cli(fleet.dir, ['route', input, '--json'])).stdout) as { candidates: Array<{ agent: string; estimate?: number | null; evidence?: number }> };
    const candidate = route.candidates.find((entry) => entry.agent === 'general_assistant')!;
    expect(describeRecord(candidate.estimate, candidate.evidence)).toBe(row.learned!.text);
    expect((await cli(fleet.dir, ['stats'])).stdout).toContain(row.learned!.text);

    // The page shows the supervisor's wording: it has no formula of its own.
    const page = DASHBOARD_HTML;
    expect(page).toContain("get('/v1/stats')");
    expect(page).toContain('r.learned.text');
    expect(page).not.toMatch(/PRIOR|posterior/i);
  }, 60_000);
});
