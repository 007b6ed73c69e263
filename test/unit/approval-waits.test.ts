import { describe, expect, it } from '@jest/globals';
import { ApprovalWaits } from '../../src/worker/a2a/approval-waits.js';

/** The worker's side of approval: a wait ends only with the right task and key, a cancel, or its own timeout. */
describe('approval waits in the worker', () => {
  it('takes a decision only for the waiting task with the attempt\'s key', async () => {
    const waits = new ApprovalWaits();
    const answer = waits.wait('task-a', 'ap-1', 'key-1', new AbortController().signal, 60_000);
    expect(waits.decide('task-b', { id: 'ap-1', key: 'key-1', verdict: 'approved', note: null })).toBe('refused');
    expect(waits.decide('task-a', { id: 'ap-1', key: 'key-2', verdict: 'approved', note: null })).toBe('refused');
    expect(waits.decide('task-a', { id: 'ap-1', key: 'key-', verdict: 'approved', note: null })).toBe('refused');
    expect(waits.decide('task-a', { id: 'ap-9', key: 'key-1', verdict: 'approved', note: null })).toBe('not-waiting');
    expect(waits.size).toBe(1);
    expect(waits.decide('task-a', { id: 'ap-1', key: 'key-1', verdict: 'denied', note: 'no' })).toBe('decided');
    await expect(answer).resolves.toEqual({ verdict: 'denied', note: 'no' });
    expect(waits.decide('task-a', { id: 'ap-1', key: 'key-1', verdict: 'approved', note: null })).toBe('not-waiting');
    expect(waits.size).toBe(0);
  });

  it('a cancel ends the wait with null; its own timeout (the supervisor gone) denies as a timeout', async () => {
    const waits = new ApprovalWaits();
    const controller = new AbortController();
    const cancelled = waits.wait('t', 'ap-1', 'k', controller.signal, 60_000);
    controller.abort();
    await expect(cancelled).resolves.toBeNull();
    const timedOut = waits.wait('t', 'ap-2', 'k', new AbortController().signal, 20);
    await expect(timedOut).resolves.toEqual({ verdict: 'timeout', note: 'no decision reached this worker in time' });
    expect(waits.size).toBe(0);
  });
});
