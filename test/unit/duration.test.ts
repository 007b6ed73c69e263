import { describe, expect, it } from '@jest/globals';
import { describeBadDuration, parseDuration, parseSize, readDuration } from '../../src/config/duration.js';

describe('parseDuration', () => {
  it.each([
    ['0s', 0],
    ['250ms', 250],
    ['2s', 2000],
    ['1.5s', 1500],
    ['.5s', 500],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2 s', 2000],
    ['  100ms ', 100],
    ['120s', 120_000],
  ])('%p → %p ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each([['5 parsecs'], [''], ['s'], ['-1s'], ['1d'], ['1.5.2s'], ['2S'], ['1m30s'], [-5], [NaN], [Infinity]])(
    'rejects %p',
    (input) => {
      expect(parseDuration(input)).toBeNull();
    },
  );

  it('rounds fractional milliseconds to whole ones', () => {
    expect(parseDuration('0.0004s')).toBe(0);
    expect(parseDuration('1.6ms')).toBe(2);
  });

  it('refuses a bare number, suggesting the unit a person most likely meant', () => {
    expect(readDuration(120)).toEqual({ ok: false, reason: 'unitless', suggestion: '120s' });
    expect(readDuration('3')).toEqual({ ok: false, reason: 'unitless', suggestion: '3s' });
    expect(readDuration(' 0.5 ')).toEqual({ ok: false, reason: 'unitless', suggestion: '0.5s' });
    expect(readDuration(5000)).toEqual({ ok: false, reason: 'unitless', suggestion: '5000ms' });
    expect(parseDuration(250)).toBeNull();
    expect(describeBadDuration('"120"', { ok: false, reason: 'unitless', suggestion: '120s' })).toBe('duration "120" has no unit — did you mean 120s? (a duration needs ms, s, m or h)');
    expect(readDuration('5 parsecs')).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('parseSize', () => {
  it.each([
    ['100B', 100],
    ['512KB', 512 * 1024],
    ['10MB', 10 * 1024 * 1024],
    ['1GB', 1024 ** 3],
    ['1.5MB', 1.5 * 1024 * 1024],
    ['10 mb', 10 * 1024 * 1024],
    ['2MiB', 2 * 1024 * 1024],
    ['4k', 4096],
    ['2048', 2048],
    [2048, 2048],
  ])('%p → %p bytes', (input, expected) => {
    expect(parseSize(input)).toBe(expected);
  });

  it.each([['10 parsecs'], [''], ['MB'], ['-1MB'], ['1TB'], [-1], [NaN]])('rejects %p', (input) => {
    expect(parseSize(input)).toBeNull();
  });
});
