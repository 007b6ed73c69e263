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
});
