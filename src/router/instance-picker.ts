import type { RankedAgent } from './router.js';
import type { FleetView, RoutableInstance } from './fleet-view.js';

export interface Choice {
  instance: RoutableInstance;
  reason: string;
}

/**
 * Chooses the instance for an attempt and reserves a slot on it (the caller releases it): the best-ranked agent that has a healthy instance not
 * tried yet, and of its instances the least loaded. Waits (never spins) when the best agent is
 * saturated — a queue beats sending the task to a worse agent — or when it is only restarting.
 */
export class InstancePicker {
  readonly inflight = new Map<string, number>();
  /** Woken by any fleet change (an instance became healthy, or went away). */
  private waiters = new Set<() => void>();
  /** Per agent, tasks waiting for a free slot, first come first served: one wakes per release. */
  private readonly queues = new Map<string, Array<{ resume: () => void; waiting: boolean }>>();

  constructor(private readonly fleet: FleetView) {
    fleet.onChange(() => this.wake());
  }

  private acquire(id: string): void {
    this.inflight.set(id, (this.inflight.get(id) ?? 0) + 1);
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
  }

  async choose(
    ranked: RankedAgent[],
    tried: ReadonlySet<string>,
    options: { signal: AbortSignal; waitMs: number; firstAttempt: boolean },
  ): Promise<Choice | null> {
    const deadline = Date.now() + options.waitMs;
    for (;;) {
      if (options.signal.aborted) return null;
      const patient = Date.now() < deadline;
      const found = this.pick(ranked, tried, patient && options.firstAttempt);
      if (found.kind === 'choice') {
        // Reserved here, synchronously with the check, so concurrent tasks cannot overbook it.
        this.acquire(found.choice.instance.id);
        return found.choice;
      }
      if (found.kind === 'none' && !patient) return null;
      // Saturated: queue for a slot however long (the task's own timeout bounds it).
      await this.nextChange(options.signal, found.kind === 'saturated' ? { agent: found.agent } : { timeoutMs: deadline - Date.now() });
    }
  }

  private pick(ranked: RankedAgent[], tried: ReadonlySet<string>, preferBest: boolean): { kind: 'choice'; choice: Choice } | { kind: 'saturated'; agent: string } | { kind: 'none' } {
    const all = this.fleet.instances();
    for (const [position, candidate] of ranked.entries()) {
      const mine = all.filter((instance) => instance.agent === candidate.agent && !tried.has(instance.id));
      const healthy = mine.filter((instance) => instance.healthy);
      if (healthy.length === 0) {
        // The best match is only restarting: wait for it rather than hand the task to a worse one.
        if (position === 0 && preferBest && mine.some((instance) => instance.recovering)) return { kind: 'none' };
        continue;
      }
      const free = healthy.filter((instance) => (this.inflight.get(instance.id) ?? 0) < instance.capacity);
      if (free.length === 0) return { kind: 'saturated', agent: candidate.agent };
      const least = free.reduce((best, instance) => ((this.inflight.get(instance.id) ?? 0) < (this.inflight.get(best.id) ?? 0) ? instance : best));
      const why = position === 0 ? 'best match' : `best match unavailable; next best (#${position + 1})`;
      return { kind: 'choice', choice: { instance: least, reason: `${why}, least loaded of ${healthy.length} healthy instance(s)` } };
    }
    return { kind: 'none' };
  }

  private nextChange(signal: AbortSignal, wait: { agent: string } | { timeoutMs: number }): Promise<void> {
    return new Promise((resolve) => {
      const entry = { resume: () => done(), waiting: true };
      const done = () => {
        entry.waiting = false;
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        if (timer) clearTimeout(timer);
        resolve();
      };
      const timer = 'timeoutMs' in wait ? setTimeout(done, Math.max(0, wait.timeoutMs)) : null;
      if ('agent' in wait) this.queueOf(wait.agent).push(entry);
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
