import { describe, expect, it } from '@jest/globals';
import type { HealthSettings } from '../../src/config/types.js';
import { HealthProber, STARTUP_PROBE_INTERVAL_MS } from '../../src/supervisor/health-prober.js';
import type { ProbeOutcome, ProberEvent } from '../../src/supervisor/health-prober.js';
import { FakeClock } from '../helpers/fake-clock.js';

const settings: HealthSettings = { path: '/health', intervalMs: 1000, timeoutMs: 500, failureThreshold: 3, startTimeoutMs: 2000 };
const ok: ProbeOutcome = { ok: true, latencyMs: 1, body: { status: 'ok', inflight: 0 } };
const refused: ProbeOutcome = { ok: false, latencyMs: 1, error: 'ECONNREFUSED' };

/** A prober whose target answers from a script the test controls, in virtual time. */
function setup(answer: () => ProbeOutcome) {
  const clock = new FakeClock();
  const events: Array<ProberEvent['type']> = [];
  const probeTimes: number[] = [];
  const prober = new HealthProber(
    'http://127.0.0.1:1/health',
    settings,
    async () => {
      probeTimes.push(clock.now());
      return answer();
    },
    (event) => events.push(event.type),
    clock,
  );
  return { clock, events, probeTimes, prober };
}

describe('HealthProber', () => {
  it('probes every 15 ms while starting, then at the interval once ready', async () => {
    let up = false;
    const { clock, events, probeTimes, prober } = setup(() => (up ? ok : refused));
    prober.start();
    await clock.advance(100);
    expect(probeTimes.slice(0, 3)).toEqual([0, STARTUP_PROBE_INTERVAL_MS, 2 * STARTUP_PROBE_INTERVAL_MS]);
    up = true;
    await clock.advance(STARTUP_PROBE_INTERVAL_MS);
    expect(events).toEqual(['ready']);
    const readyAt = probeTimes.at(-1)!;
    await clock.advance(3000);
    // Steady probes fall on multiples of the interval (ready at ~45 ms: the first at 1000).
    expect(probeTimes.filter((time) => time > readyAt)).toEqual([1000, 2000, 3000]);
    expect(events).toEqual(['ready', 'ok', 'ok', 'ok']);
  });

  it('hurry: probes at once while starting, once per start, and not after ready', async () => {
    let up = false;
    const { clock, events, probeTimes, prober } = setup(() => (up ? ok : refused));
    prober.start();
    await clock.advance(5);
    up = true;
    prober.hurry();
    await clock.advance(0);
    expect(probeTimes).toEqual([0, 5]);
    expect(events).toEqual(['ready']);
    prober.hurry();
    await clock.advance(10);
    expect(probeTimes).toEqual([0, 5]);
    // A second sign of life in the same start does not probe again.
    up = false;
    prober.start();
    await clock.advance(3);
    prober.hurry();
    await clock.advance(4);
    prober.hurry();
    await clock.advance(0);
    expect(probeTimes.filter((time) => time >= 15)).toEqual([15, 18]);
    prober.stop();
  });

  it('coalesces: probers started at different moments probe in the same timer tick, never sooner than half an interval apart', async () => {
    const clock = new FakeClock();
    const times: number[][] = [[], []];
    const probers = times.map((mine) => new HealthProber('http://x/health', settings, async () => (mine.push(clock.now()), ok), () => undefined, clock));
    probers[0]!.start();
    await clock.advance(700);
    probers[1]!.start();
    await clock.advance(3000);
    expect(times[0]).toEqual([0, 1000, 2000, 3000]);
    // Started at 700, ready at once: 1000 is only 300 ms away, so its first steady probe is at 2000.
    expect(times[1]).toEqual([700, 2000, 3000]);
    for (const prober of probers) prober.stop();
  });

  it('reports start-timeout when nothing answers within startTimeout, and stops probing', async () => {
    const { clock, events, prober } = setup(() => refused);
    prober.start();
    await clock.advance(2000 + STARTUP_PROBE_INTERVAL_MS);
    expect(events).toEqual(['start-timeout']);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('counts consecutive failures, recovers on success, and is dead at failureThreshold', async () => {
    const script = [ok, refused, ok, refused, refused, refused];
    const { clock, events, prober } = setup(() => script.shift() ?? ok);
    prober.start();
    await clock.advance(0);
    await clock.advance(5000);
    expect(events).toEqual(['ready', 'failing', 'recovered', 'failing', 'failing', 'dead']);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('ignores the answer of a probe that was in flight when it was stopped', async () => {
    let release: (outcome: ProbeOutcome) => void = () => undefined;
    const clock = new FakeClock();
    const events: string[] = [];
    const prober = new HealthProber('http://x/health', settings, () => new Promise((resolve) => (release = resolve)), (event) => events.push(event.type), clock);
    prober.start();
    await clock.advance(0);
    prober.stop();
    release(ok);
    await clock.advance(100);
    expect(events).toEqual([]);
  });

  it('knocks (asks for a bare connect first) only while starting with no sign of life', async () => {
    const clock = new FakeClock();
    const knocks: boolean[] = [];
    let up = false;
    const prober = new HealthProber(
      'http://127.0.0.1:1/health',
      settings,
      async (_url, _timeoutMs, options) => {
        knocks.push(options?.knock === true);
        return up ? ok : refused;
      },
      () => undefined,
      clock,
    );
    prober.start();
    await clock.advance(2 * STARTUP_PROBE_INTERVAL_MS);
    expect(knocks).toEqual([true, true, true]);
    // The instance said it is ready: the probe that follows is a full one, and so is every later one.
    up = true;
    prober.hurry();
    await clock.advance(0);
    await clock.advance(settings.intervalMs * 2);
    expect(knocks.slice(3)).toEqual([false, false, false]);
    prober.stop();
  });
});
