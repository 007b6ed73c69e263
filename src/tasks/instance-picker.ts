import type { Clock } from '../util/clock.js';
import type { FleetView, RoutableInstance } from './fleet-view.js';
import type { PassOverReason, WaitReason } from './task-state.js';

/** What one agent offers a task right now. */
export type AgentLook =
  | { kind: 'free'; instance: RoutableInstance; healthy: number }
  | { kind: 'wait'; why: WaitReason }
  | { kind: 'pass'; why: Exclude<PassOverReason, 'queue-timeout'> };

/** How a task regards one instance: `excluded` failed the task; `lost` dropped an attempt (skipped until restarted). */
export type InstanceMark = 'excluded' | 'lost' | null;

/**
 * Slots on instances, and what an agent offers a task: a free slot on its least loaded healthy
 * instance, a reason to wait (restarting, busy), or a reason to pass it over (failed, stopped).
 * Waiting never spins: a task sleeps until the fleet changes, a slot frees up, or its timer fires.
 */
export class InstancePicker {
  readonly inflight = new Map<string, number>();
  /** Woken by any fleet change (an instance became healthy, or went away). */
  private waiters = new Set<() => void>();
  /** Per agent, tasks waiting for a free slot, first come first served: one wakes per release. */
  private readonly queues = new Map<string, Array<{ resume: () => void; waiting: boolean }>>();

  constructor(
    private readonly fleet: FleetView,
    private readonly clock: Clock,
  ) {
    fleet.onChange(() => this.wake());
  }

  look(agent: string, mark: (instance: RoutableInstance) => InstanceMark): AgentLook {
    const mine = this.fleet.instances().filter((instance) => instance.agent === agent);
    if (mine.length === 0) return { kind: 'pass', why: 'gone' };
    const usable = mine.filter((instance) => mark(instance) !== 'excluded');
    if (usable.length === 0) return { kind: 'pass', why: 'exhausted' };
    const healthy = usable.filter((instance) => instance.availability === 'healthy' && mark(instance) === null);
    if (healthy.length > 0) {
      let least: RoutableInstance | null = null;
      for (const instance of healthy) {
        const load = this.inflight.get(instance.id) ?? 0;
        if (load < instance.capacity && (least === null || load < (this.inflight.get(least.id) ?? 0))) least = instance;
      }
      return least ? { kind: 'free', instance: least, healthy: healthy.length } : { kind: 'wait', why: 'busy' };
    }
    if (usable.some((instance) => instance.availability === 'recovering')) return { kind: 'wait', why: 'restarting' };
    // Healthy in the fleet's eyes but lost by this task: its death is not noticed yet, or it is back
    // under the same epoch (a remote agent). Either way it is expected to come back.
    if (usable.some((instance) => instance.availability === 'healthy')) return { kind: 'wait', why: 'instance-lost' };
    return { kind: 'pass', why: usable.some((instance) => instance.availability === 'failed') ? 'failed' : 'stopped' };
  }

  /** Takes a slot; called synchronously with look() so concurrent tasks cannot overbook an instance. */
  reserve(instance: RoutableInstance): void {
    this.inflight.set(instance.id, (this.inflight.get(instance.id) ?? 0) + 1);
  }

  release(id: string, agent: string): void {
    const left = (this.inflight.get(id) ?? 1) - 1;
    if (left <= 0) this.inflight.delete(id);
    else this.inflight.set(id, left);
    const queue = this.queues.get(agent);
    // Entries that stopped waiting (woken otherwise, or aborted) are skipped here, not spliced out.
    while (queue && queue.length > 0) {
      const next = queue.shift()!;
      if (next.waiting) return next.resume();
    }
    if (queue?.length === 0) this.queues.delete(agent);
  }

  /**
   * Resolves on the next fleet change, on abort, after `timeoutMs` (null: no timer), and — with
   * `slotOf` — when a slot of that agent frees up (one waiter per freed slot, in arrival order).
   */
  nextChange(signal: AbortSignal, wait: { slotOf?: string; timeoutMs: number | null }): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const entry = { resume: () => done(), waiting: true };
      const done = () => {
        if (!entry.waiting) return;
        entry.waiting = false;
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        if (timer) this.clock.clearTimeout(timer);
        resolve();
      };
      const timer = wait.timeoutMs === null ? null : this.clock.setTimeout(done, Math.max(0, wait.timeoutMs));
      if (wait.slotOf !== undefined) this.queueOf(wait.slotOf).push(entry);
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private queueOf(agent: string): Array<{ resume: () => void; waiting: boolean }> {
    let queue = this.queues.get(agent);
    if (!queue) this.queues.set(agent, (queue = []));
    return queue;
  }

  private wake(): void {
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const resume of waiting) resume();
  }
}
