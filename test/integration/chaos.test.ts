import { describe, expect, it } from '@jest/globals';
import { formatReport, hangingWorker, modelOutage, providerOutage, shippedFleet, supervisorKill } from '../../chaos/index.js';
import type { ScenarioReport } from '../../chaos/index.js';

/**
 * The chaos scenarios of `npm run chaos` (chaos/), slim: the same code, smaller sizes. The first
 * runs the repository's agents.yaml with its defaults (only the model endpoint and the ports are
 * ours). Every bar must hold except the timed ones, which depend on the machine's speed and load:
 * those are printed here with the figures, and held by `npm run chaos`.
 */
function expectBarsMet(report: ScenarioReport): void {
  // Printed with timed misses as "·": every ✗ this prints is a bar that fails the test below.
  const text = formatReport(report, { timedHeld: false });
  process.stdout.write(`${text}\n`);
  const missed = report.bars.filter((entry) => !entry.ok && !entry.timed).map((entry) => `${entry.name}: ${entry.detail}`);
  // On failure the whole report (figures included) is in the diff.
  expect({ missed, report: text }).toEqual({ missed: [], report: text });
}

describe('chaos (slim)', () => {
  it('the fleet as shipped: 200 tasks at concurrency 50 with a random healthy worker SIGKILLed every 0.5 s, one worker killed 12 times, one held back by backoff > 10 s, beside a crash-looping agent', async () => {
    const report = await shippedFleet({ tasks: 200, concurrency: 50, killEveryMs: 500, modelDelayMs: 30, heldBackTasks: 3 });
    expectBarsMet(report);
  }, 180_000);

  it('supervisor SIGKILLed under load: workers go, the ledger parses, the next up marks in-flight tasks interrupted', async () => {
    const report = await supervisorKill({ concurrency: 20, completeBeforeKill: 40, instances: 2, modelDelayMs: 100 });
    expectBarsMet(report);
  }, 90_000);

  it('a hung worker is noticed, killed and restarted; its tasks move to the other instance', async () => {
    const report = await hangingWorker({ tasks: 60, concurrency: 8, instances: 2, modelDelayMs: 100 });
    expectBarsMet(report);
  }, 90_000);

  it('a model endpoint answering 500 fails tasks clearly, restarts no worker, and tasks complete once it recovers', async () => {
    const report = await modelOutage({ tasks: 120, concurrency: 10, outageAfter: 20, outageMs: 1500, instances: 2 });
    expectBarsMet(report);
  }, 90_000);

  it('a model provider answering 500 under load: tasks complete on the second provider, the first cools down and carries the traffic again after', async () => {
    const report = await providerOutage({ concurrency: 8, warmup: 30, outageMs: 3000, afterMs: 7500, instances: 2 });
    expectBarsMet(report);
  }, 90_000);
});
