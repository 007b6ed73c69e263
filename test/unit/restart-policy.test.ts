import { describe, expect, it } from '@jest/globals';
import type { RestartSettings } from '../../src/config/types.js';
import { RestartPolicy } from '../../src/supervisor/restart-policy.js';
import type { ExitCause } from '../../src/supervisor/restart-policy.js';

const settings: RestartSettings = {
  policy: 'always',
  initialDelayMs: 100,
  factor: 2,
  maxDelayMs: 1000,
  resetAfterMs: 60_000,
  minUptimeMs: 1000,
  maxRestarts: 6,
};
const crash: ExitCause = { reason: 'exited', code: 1, signal: null };
const clean: ExitCause = { reason: 'exited', code: 0, signal: null };
const noJitter = () => 0.5;

function delays(policy: RestartPolicy, count: number): number[] {
  return Array.from({ length: count }, () => {
    const decision = policy.decide(crash);
    if (decision.action !== 'restart') throw new Error(`gave up: ${decision.reason}`);
    return decision.delayMs;
  });
}

describe('RestartPolicy', () => {
  it('restarts the first crash of a streak at once, then backs off exponentially up to maxDelay', () => {
    expect(delays(new RestartPolicy(settings, noJitter), 6)).toEqual([0, 100, 200, 400, 800, 1000]);
  });

  it('jitters each delay by at most ±20 % and never past maxDelay', () => {
    const low = delays(new RestartPolicy(settings, () => 0), 6);
    const high = delays(new RestartPolicy(settings, () => 0.999999), 6);
    expect(low).toEqual([0, 80, 160, 320, 640, 800]);
    expect(high).toEqual([0, 120, 240, 480, 960, 1000]);
  });

  it('gives up after maxRestarts in one streak, saying why', () => {
    const policy = new RestartPolicy(settings, noJitter);
    delays(policy, 6);
    const decision = policy.decide(crash);
    expect(decision).toEqual({ action: 'give-up', reason: 'exited with code 1; gave up after 6 restarts in a row' });
  });

  it('starts a new streak after reset (healthy for resetAfter)', () => {
    const policy = new RestartPolicy(settings, noJitter);
    delays(policy, 4);
    policy.reset();
    expect(delays(policy, 2)).toEqual([0, 100]);
  });

  it('on-failure does not restart a clean exit but restarts a crash or a failed health check', () => {
    const policy = new RestartPolicy({ ...settings, policy: 'on-failure' }, noJitter);
    expect(policy.decide(clean)).toEqual({ action: 'give-up', reason: 'exited with code 0 (restart policy: on-failure)' });
    expect(policy.decide({ reason: 'health-failed', detail: '3 probes' }).action).toBe('restart');
    expect(policy.decide({ reason: 'exited', code: null, signal: 'SIGKILL' }).action).toBe('restart');
  });

  it('never restarts with policy never; always restarts even a clean exit', () => {
    expect(new RestartPolicy({ ...settings, policy: 'never' }).decide(crash).action).toBe('give-up');
    expect(new RestartPolicy(settings).decide(clean).action).toBe('restart');
  });

  describe('minUptime: a process that ran is not a crash loop', () => {
    const killed: ExitCause = { reason: 'exited', code: null, signal: 'SIGKILL' };

    it('restarts at once, every time, an instance that was healthy at least minUptime, and never gives up on it', () => {
      const policy = new RestartPolicy(settings, noJitter);
      for (let kill = 0; kill < 100; kill += 1) {
        expect(policy.decide(killed, { healthyForMs: 1000 + kill })).toEqual({ action: 'restart', delayMs: 0, attempt: 0, stable: true });
      }
      expect(policy.restartsInStreak).toBe(0);
    });

    it('counts a death before healthy, or sooner than minUptime after, as a crash loop: backoff, then give up', () => {
      const policy = new RestartPolicy(settings, noJitter);
      const runs = [null, 999, null, 0, 500, null];
      expect(runs.map((healthyForMs) => policy.decide(crash, { healthyForMs }))).toEqual(
        [0, 100, 200, 400, 800, 1000].map((delayMs, i) => ({ action: 'restart', delayMs, attempt: i + 1, stable: false })),
      );
      expect(policy.decide(crash, { healthyForMs: 10 })).toEqual({ action: 'give-up', reason: 'exited with code 1; gave up after 6 restarts in a row' });
    });

    it('a stable run ends a crash streak: the backoff does not keep escalating across runs that worked', () => {
      const policy = new RestartPolicy(settings, noJitter);
      delays(policy, 5);
      expect(policy.decide(killed, { healthyForMs: 5000 }).action).toBe('restart');
      expect(delays(policy, 3)).toEqual([0, 100, 200]);
    });

    it('a stable death still obeys the policy name: never / on-failure with exit 0 do not restart', () => {
      expect(new RestartPolicy({ ...settings, policy: 'never' }).decide(killed, { healthyForMs: 10_000 }).action).toBe('give-up');
      expect(new RestartPolicy({ ...settings, policy: 'on-failure' }).decide(clean, { healthyForMs: 10_000 }).action).toBe('give-up');
    });

    it('minUptime 0 treats any death after healthy as stable', () => {
      const policy = new RestartPolicy({ ...settings, minUptimeMs: 0 }, noJitter);
      expect(policy.decide(killed, { healthyForMs: 0 })).toMatchObject({ stable: true });
      expect(policy.decide(killed, { healthyForMs: null })).toMatchObject({ stable: false, attempt: 1 });
    });
  });
});
