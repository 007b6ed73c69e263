import { describe, expect, it } from '@jest/globals';
import { PROVIDER_COOLDOWN } from '../../src/config/defaults.js';
import { ProviderCooldowns } from '../../src/worker/model/provider-cooldowns.js';

/** Virtual time: the cooldowns read this clock, the test moves it. */
function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

const settings = { failures: 3, windowMs: 60_000, cooldownMs: 5_000 };
const routes = ['primary', 'secondary', 'tertiary'];

describe('provider cooldowns', () => {
  it('keeps the configured order while nothing fails', () => {
    const cooldowns = new ProviderCooldowns(settings, clock().now);
    expect(cooldowns.order(routes)).toEqual([0, 1, 2]);
    expect(cooldowns.cooling()).toEqual([]);
  });

  it('puts a route aside after N failures within the window, then tries it again after the cooldown', () => {
    const time = clock();
    const cooldowns = new ProviderCooldowns(settings, time.now);
    expect(cooldowns.recordFailure('primary')).toBe(false);
    expect(cooldowns.recordFailure('primary')).toBe(false);
    expect(cooldowns.order(routes)).toEqual([0, 1, 2]);
    expect(cooldowns.recordFailure('primary')).toBe(true);
    expect(cooldowns.isCooling('primary')).toBe(true);
    expect(cooldowns.order(routes)).toEqual([1, 2, 0]);
    expect(cooldowns.cooling()).toEqual([{ provider: 'primary', retryInMs: 5_000 }]);
    time.advance(4_999);
    expect(cooldowns.order(routes)).toEqual([1, 2, 0]);
    expect(cooldowns.cooling()).toEqual([{ provider: 'primary', retryInMs: 1 }]);
    time.advance(1);
    expect(cooldowns.isCooling('primary')).toBe(false);
    expect(cooldowns.order(routes)).toEqual([0, 1, 2]);
    expect(cooldowns.cooling()).toEqual([]);
  });

  it('forgets failures older than the window', () => {
    const time = clock();
    const cooldowns = new ProviderCooldowns(settings, time.now);
    cooldowns.recordFailure('primary');
    cooldowns.recordFailure('primary');
    time.advance(60_000);
    expect(cooldowns.recordFailure('primary')).toBe(false);
    expect(cooldowns.recordFailure('primary')).toBe(false);
    expect(cooldowns.isCooling('primary')).toBe(false);
    expect(cooldowns.recordFailure('primary')).toBe(true);
  });

  it('a success clears the failures counted so far', () => {
    const cooldowns = new ProviderCooldowns(settings, clock().now);
    cooldowns.recordFailure('primary');
    cooldowns.recordFailure('primary');
    cooldowns.recordSuccess('primary');
    expect(cooldowns.recordFailure('primary')).toBe(false);
    expect(cooldowns.recordFailure('primary')).toBe(false);
    expect(cooldowns.isCooling('primary')).toBe(false);
  });

  it('one failure on the first try after a cooldown puts the route aside again at once; a success there brings it back for good', () => {
    const time = clock();
    const cooldowns = new ProviderCooldowns(settings, time.now);
    for (let i = 0; i < 3; i++) cooldowns.recordFailure('primary');
    time.advance(5_000);
    expect(cooldowns.recordFailure('primary')).toBe(true);
    expect(cooldowns.order(routes)).toEqual([1, 2, 0]);
    time.advance(5_000);
    cooldowns.recordSuccess('primary');
    expect(cooldowns.recordFailure('primary')).toBe(false);
    expect(cooldowns.isCooling('primary')).toBe(false);
  });

  it('failures of calls in flight while the route is aside do not extend its cooldown', () => {
    const time = clock();
    const cooldowns = new ProviderCooldowns(settings, time.now);
    for (let i = 0; i < 3; i++) cooldowns.recordFailure('primary');
    time.advance(3_000);
    expect(cooldowns.recordFailure('primary')).toBe(false);
    expect(cooldowns.cooling()).toEqual([{ provider: 'primary', retryInMs: 2_000 }]);
  });

  it('when every route is aside, all are still tried: the one back soonest first', () => {
    const time = clock();
    const cooldowns = new ProviderCooldowns(settings, time.now);
    for (let i = 0; i < 3; i++) cooldowns.recordFailure('secondary');
    time.advance(1_000);
    for (let i = 0; i < 3; i++) cooldowns.recordFailure('primary');
    for (let i = 0; i < 3; i++) cooldowns.recordFailure('tertiary');
    expect(cooldowns.order(routes)).toEqual([1, 0, 2]);
  });

  it('ships documented defaults: a few failures, a window, a cooldown of seconds', () => {
    expect(PROVIDER_COOLDOWN.failures).toBeGreaterThanOrEqual(1);
    expect(PROVIDER_COOLDOWN.cooldownMs).toBeLessThan(PROVIDER_COOLDOWN.windowMs);
  });
});
