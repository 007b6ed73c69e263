import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, apiStatus, cli, repoFleetOnFreePorts, teardown, waitFor } from '../helpers/fleet.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
/** Screenshots into docs/screenshots only on demand (`npm run screenshots`): a test run leaves the tree alone. */
const SCREENSHOTS = process.env.LIGHTNING_SCREENSHOTS === '1';
if (!haveChromium) {
  console.warn(
    `dashboard browser test skipped: no Chromium at ${CHROMIUM}. To run it: apt-get update && apt-get install -y chromium ` +
      '(or set CHROMIUM_PATH to another Chromium)',
  );
}
const maybe = haveChromium ? describe : describe.skip;

maybe('live dashboard in headless Chromium', () => {
  let dir: string;
  let browser: import('playwright-core').Browser;

  beforeAll(async () => {
    dir = repoFleetOnFreePorts();
    expect((await cli(dir, ['up', '-d'])).exitCode).toBe(0);
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await teardown(dir);
  });

  it('needs the one-time login; shows six healthy agents; a killed worker changes and recovers without a reload', async () => {
    const api = (JSON.parse(readFileSync(path.join(dir, '.lightning/supervisor.json'), 'utf8')) as { api: string }).api;
    expect((await fetch(`${api}/`)).status).toBe(401);
    const link = (await cli(dir, ['dashboard'])).stdout.trim();
    expect(link).toMatch(/\/login\?code=[0-9a-f]+$/);
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    await page.goto(link);
    expect(page.url()).toBe(`${api}/`);
    // A login link works once.
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(401);
    // Polled through locators: the page's CSP forbids evaluating strings, and this project's
    // TypeScript has no DOM types for in-page functions.
    await waitFor('six healthy rows', async () => (await page.locator('#agents td.state.healthy').count()) === 6, 15_000);
    const shots = path.join(ROOT, 'docs', 'screenshots');
    if (SCREENSHOTS) {
      mkdirSync(shots, { recursive: true });
      await page.screenshot({ path: path.join(shots, 'dashboard-healthy.png') });
    }

    const victim = (await apiStatus(dir)).agents.find((agent) => agent.name === 'data_analyst')!;
    const reloads: string[] = [];
    page.on('framenavigated', (frame) => reloads.push(frame.url()));
    process.kill(victim.pid!, 'SIGKILL');
    const row = 'tr[data-agent="data_analyst#0"]';
    // The row shows the restart (count 1, new pid) — the transient states may be too quick to see.
    await waitFor('the restart on the page', async () => (await page.textContent(`${row} td:nth-child(5)`)) === '1', 15_000);
    if (SCREENSHOTS) await page.screenshot({ path: path.join(shots, 'dashboard-restarted.png') });
    await waitFor('healthy again', async () => (await page.textContent(`${row} td.state`)) === 'healthy', 15_000);
    expect(await page.textContent(`${row} td:nth-child(3)`)).not.toBe(String(victim.pid));
    expect(reloads).toEqual([]);
  }, 60_000);
});
