import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import prom from 'prom-client';
import { FleetMetrics } from '../../src/supervisor/metrics.js';
import type { Supervisor } from '../../src/supervisor/supervisor.js';
import type { TaskEvent } from '../../src/tasks/service.js';

/** The lines of one metric family in a text exposition. */
function family(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}_`) || line.startsWith(`${name}{`) || line.startsWith(`${name} `) || line.includes(` ${name} `));
}

describe('FleetMetrics', () => {
  it("counts before prom-client loads, and exports histograms and counters exactly as prom-client's own would", async () => {
    // A fleet with no instances: what is compared here is the task and ledger side.
    const supervisor = Object.assign(new EventEmitter(), { instances: [] }) as unknown as Supervisor;
    const metrics = new FleetMetrics(supervisor, { inflight: () => 2 });
    const durations = [5, 40, 120, 900, 2600, 2600, 400_000];
    for (const [i, durationMs] of durations.entries()) {
      const agent = i % 2 === 0 ? 'web_developer' : 'qa_tester';
      metrics.onTaskEvent({ event: 'task.routed', attempt: 1, agent, reason: 'matched', static: agent } as unknown as TaskEvent, () => agent);
      metrics.onTaskEvent({ event: 'task.completed', agent, durationMs } as unknown as TaskEvent, () => agent);
    }
    const writes = [0.0001, 0.0007, 0.003, 0.3];
    for (const seconds of writes) metrics.observeLedgerWrite(seconds);
    const { body } = await metrics.render();

    // The same observations through prom-client's own Histogram and Counter.
    const registry = new prom.Registry();
    const registers = [registry];
    const taskSeconds = new prom.Histogram({ name: 'lightning_task_duration_seconds', help: 'Duration of completed tasks, submission to result.', labelNames: ['agent'], buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300], registers });
    const tasks = new prom.Counter({ name: 'lightning_tasks_total', help: 'Tasks ended, by agent and outcome.', labelNames: ['agent', 'outcome'], registers });
    const ledger = new prom.Histogram({ name: 'lightning_ledger_write_duration_seconds', help: 'Time from appending a ledger event to its being durable (on disk).', buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25], registers });
    for (const [i, durationMs] of durations.entries()) {
      const agent = i % 2 === 0 ? 'web_developer' : 'qa_tester';
      tasks.inc({ agent, outcome: 'completed' });
      taskSeconds.observe({ agent }, durationMs / 1000);
    }
    for (const seconds of writes) ledger.observe(seconds);
    const expected = await registry.metrics();

    for (const name of ['lightning_task_duration_seconds', 'lightning_tasks_total', 'lightning_ledger_write_duration_seconds']) {
      expect(family(body, name).length).toBeGreaterThan(0);
      expect(family(body, name)).toEqual(family(expected, name));
    }
    expect(body).toMatch(/^# TYPE lightning_task_duration_seconds histogram$/m);
    expect(body).toMatch(/^lightning_routing_decisions_total\{agent="web_developer",decision="static"\} 4$/m);
    expect(body).toMatch(/^lightning_tasks_in_flight 2$/m);
    expect(body).toMatch(/^lightning_supervisor_process_resident_memory_bytes \d+/m);
  });
});
