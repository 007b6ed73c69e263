import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LOST_INSTANCE_RECHECK_MS } from '../../src/config/defaults.js';
import type { TaskSettings } from '../../src/config/types.js';
import type { LedgerEvent } from '../../src/protocol/events.js';
import { readEvents, TaskIndex } from '../../src/ledger/reader.js';
import type { ApprovalDecisionMessage, WorkerOutcome } from '../../src/protocol/task.js';
import type { RouteDecision } from '../../src/router/router.js';
import type { AttemptRequest } from '../../src/router/worker-client.js';
import { AttemptError } from '../../src/router/worker-client.js';
import type { AttemptClient, Availability, FleetView, RoutableInstance } from '../../src/tasks/fleet-view.js';
import { INTERRUPTED_ERROR, markInterrupted } from '../../src/tasks/interrupted.js';
import { TaskCore } from '../../src/tasks/task-core.js';
import { FakeClock } from '../helpers/fake-clock.js';

/**
 * The task core in virtual time: a fake fleet (instances whose availability a test sets), fake
 * workers (answers scripted per instance, timed by the fake clock), no processes, no sockets.
 */

type Script = (request: AttemptRequest, clock: FakeClock) => Promise<WorkerOutcome>;

const completed = (output = 'done'): WorkerOutcome => ({ status: 'completed', output, error: null, usage: null, files: [] });

/** A worker that answers after `ms` of virtual time, or stops at abort like the real client. */
function answersAfter(ms: number, outcome: WorkerOutcome = completed()): Script {
  return (request, clock) =>
    new Promise((resolve, reject) => {
      const timer = clock.setTimeout(() => resolve(outcome), ms);
      request.signal.addEventListener('abort', () => {
        clock.clearTimeout(timer);
        reject(new AttemptError('aborted', 'aborted'));
      });
    });
}

/** A worker that dies mid-task after `ms`: the connection is reset. */
function diesAfter(ms: number): Script {
  return (_request, clock) => new Promise((_resolve, reject) => clock.setTimeout(() => reject(new AttemptError('connection to the worker failed: UND_ERR_SOCKET', 'unreachable')), ms));
}

class FakeFleet implements FleetView {
  readonly members: RoutableInstance[] = [];
  readonly scripts = new Map<string, Script[]>();
  readonly calls: string[] = [];
  /** Whether each attempt (in `calls` order) asked the worker to stream. */
  readonly streamed: boolean[] = [];
  /** What attemptsStream() says of every instance (a foreign agent, tools under approval: true). */
  alwaysStreams = false;
  /** Approval decisions the task core sent to the worker. */
  readonly decisions: Array<ApprovalDecisionMessage & { remoteTaskId: string }> = [];
  onDecision: ((decision: ApprovalDecisionMessage) => void) | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly clock: FakeClock,
    private readonly fallbacks: string[],
    readonly settings: TaskSettings,
  ) {}

  add(agent: string, availability: Availability, index = 0): this {
    this.members.push({ id: `${agent}#${index}`, agent, index, availability, epoch: availability === 'healthy' ? 1 : 0, capacity: 4 });
    return this;
  }

  /** The instance's next attempts run these scripts in turn; once spent, it answers at once. */
  script(id: string, ...scripts: Script[]): this {
    this.scripts.set(id, scripts);
    return this;
  }

  set(id: string, availability: Availability): void {
    const member = this.member(id);
    if (availability === 'healthy' && member.availability !== 'healthy') member.epoch += 1;
    member.availability = availability;
    for (const listener of this.listeners) listener();
  }

  instances(): RoutableInstance[] {
    return this.members.map((member) => ({ ...member }));
  }

  priceOf(): null {
    return null;
  }

  planner(): string | null {
    return this.fallbacks[0] ?? null;
  }

  agentNames(): string[] {
    return [...new Set(this.members.map((member) => member.agent))];
  }

  profiles() {
    return { version: 1, profiles: this.agentNames().map((name) => ({ name, description: name, skills: [], fallback: this.fallbacks.includes(name) })) };
  }

  taskSettings(): TaskSettings {
    return this.settings;
  }

  client(instance: RoutableInstance): AttemptClient {
    return {
      run: (request) => {
        this.calls.push(instance.id);
        this.streamed.push(request.stream);
        const next = this.scripts.get(instance.id)?.shift() ?? answersAfter(10);
        return next(request, this.clock);
      },
      cancel: async () => undefined,
      decide: async (remoteTaskId, decision) => {
        this.decisions.push({ remoteTaskId, ...decision });
        this.onDecision?.(decision);
        return true;
      },
    };
  }

  attemptsStream(): boolean {
    return this.alwaysStreams;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private member(id: string): RoutableInstance {
    const member = this.members.find((candidate) => candidate.id === id);
    if (!member) throw new Error(`no member ${id}`);
    return member;
  }
}

/** The router's decision is the core's input: fixed here, so the tests see only the core. */
function decisionFor(ranked: string[]): RouteDecision {
  const pick = ranked[0] ?? '';
  return {
    ranked: ranked.map((agent, i) => ({ agent, score: 1 - i * 0.1 })),
    candidates: ranked.map((agent, i) => ({ agent, score: 1 - i * 0.1 })),
    pick,
    static: pick,
    explored: false,
    decision: 'exploit',
    probability: 1,
    reason: `best capability match (score 1.00)`,
    kind: 'test',
  };
}

function setUp(options: { ranked: string[]; fallbacks?: string[]; settings?: Partial<TaskSettings>; maxTransportLosses?: number }) {
  const clock = new FakeClock();
  const settings: TaskSettings = { timeoutMs: 120_000, retries: 2, queueTimeoutMs: 30_000, budget: { tokens: null, cost: null, timeMs: null }, approvalTimeoutMs: 600_000, ...options.settings };
  const fleet = new FakeFleet(clock, options.fallbacks ?? [], settings);
  const index = new TaskIndex();
  const ledger: LedgerEvent[] = [];
  let ids = 0;
  const core = new TaskCore({
    fleet,
    router: { route: (_input, forced) => decisionFor(forced ? [forced] : options.ranked), learnFrom: () => undefined },
    index,
    append: async (event) => void ledger.push(event),
    flush: () => undefined,
    storeOutput: (_id, output) => ({ output, outputFile: null }),
    redact: (text) => text,
    clock,
    ...(options.maxTransportLosses === undefined ? {} : { maxTransportLosses: options.maxTransportLosses }),
    newId: () => `t${++ids}`,
  });
  const eventsOf = (id: string, name?: string) => ledger.filter((event) => event.taskId === id && (name === undefined || event.event === name));
  const terminal = (id: string) => ledger.filter((event) => event.taskId === id && ['task.completed', 'task.failed', 'task.cancelled', 'task.interrupted'].includes(event.event));
  return { clock, fleet, index, ledger, core, eventsOf, terminal };
}

describe('task core: waiting for an agent', () => {
  it('waits for a restarting agent past the old 10 s, shows it as waiting, and completes once it is back', async () => {
    const { clock, fleet, core, index, eventsOf, terminal } = setUp({ ranked: ['qa'] });
    fleet.add('qa', 'recovering');
    const { id } = await core.submit({ input: 'test the login form' });
    await clock.advance(25_000);
    expect(index.get(id)!.status).toBe('waiting');
    expect(index.get(id)!.waiting).toMatchObject({ agent: 'qa', reason: 'restarting' });
    expect(core.stateOf(id)).toMatchObject({ name: 'waiting', agent: 'qa', why: 'restarting', since: 0 });
    expect(core.waitingByAgent().get('qa')).toBe(1);
    expect(eventsOf(id, 'task.waiting')).toHaveLength(1);

    fleet.set('qa#0', 'healthy');
    await clock.advance(10);
    await core.whenDone(id);
    expect(index.get(id)!.status).toBe('completed');
    expect(index.get(id)!.waiting).toBeNull();
    expect(terminal(id)).toHaveLength(1);
  });

  it('waits until the task\'s own deadline, then times out saying what it waited for', async () => {
    const { clock, fleet, core, index, terminal } = setUp({ ranked: ['qa'], settings: { timeoutMs: 60_000 } });
    fleet.add('qa', 'recovering');
    const { id } = await core.submit({ input: 'test it' });
    await clock.advance(59_999);
    expect(index.get(id)!.status).toBe('waiting');
    await clock.advance(1);
    await core.whenDone(id);
    expect(index.get(id)!.status).toBe('timeout');
    expect(index.get(id)!.error).toBe('timed out after 60000 ms waiting for a healthy instance of qa');
    expect(terminal(id)).toHaveLength(1);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('task core: streaming an attempt only for someone', () => {
  it('asks for the outcome alone when nobody follows the task, and streams for a listener, a follower of every task, or an agent that must', async () => {
    const { clock, fleet, core } = setUp({ ranked: ['qa'] });
    fleet.add('qa', 'healthy');
    const run = async (onEvent?: (event: unknown) => void) => {
      const { id } = await core.submit({ input: 'test it' }, onEvent);
      await clock.advance(10);
      await core.whenDone(id);
    };
    await run();
    await run(() => undefined);
    const unfollow = core.followAll(() => undefined);
    await run();
    unfollow();
    await run();
    fleet.alwaysStreams = true;
    await run();
    expect(fleet.streamed).toEqual([false, true, true, false, true]);
  });
});

describe('task core: failover order', () => {
  it('goes chosen → next plausible → fallback: a failed agent at once, an unavailable one after queueTimeout, and records why', async () => {
    const { clock, fleet, core, index, eventsOf } = setUp({ ranked: ['web', 'qa', 'devops'], fallbacks: ['general'], settings: { queueTimeoutMs: 5_000 } });
    fleet.add('web', 'recovering').add('qa', 'failed').add('devops', 'stopped').add('general', 'healthy');
    const { id } = await core.submit({ input: 'build a page' });
    await clock.advance(4_999);
    expect(index.get(id)!.status).toBe('waiting');
    expect(fleet.calls).toEqual([]);
    await clock.advance(1);
    await clock.advance(10);
    await core.whenDone(id);
    expect(index.get(id)!.status).toBe('completed');
    expect(fleet.calls).toEqual(['general#0']);
    const routed = eventsOf(id, 'task.routed') as Array<Extract<LedgerEvent, { event: 'task.routed' }>>;
    expect(routed).toHaveLength(1);
    expect(routed[0]!.agent).toBe('general');
    expect(routed[0]!.passedOver?.map((pass) => [pass.agent, pass.reason])).toEqual([
      ['web', 'queue-timeout'],
      ['qa', 'failed'],
      ['devops', 'stopped'],
    ]);
    expect(routed[0]!.reason).toContain('web had no healthy instance for 5000 ms (task.queueTimeout)');
    expect(routed[0]!.reason).toContain('qa is failed');
    expect(routed[0]!.reason).toContain('fallback agent');
  });

  it('passes a failed chosen agent over at once for the next plausible one', async () => {
    const { clock, fleet, core, index, eventsOf } = setUp({ ranked: ['web', 'qa'], fallbacks: ['general'] });
    fleet.add('web', 'failed').add('qa', 'healthy').add('general', 'healthy');
    const { id } = await core.submit({ input: 'x' });
    await clock.advance(10);
    await core.whenDone(id);
    expect(fleet.calls).toEqual(['qa#0']);
    expect(index.get(id)!.status).toBe('completed');
    const routed = eventsOf(id, 'task.routed')[0] as Extract<LedgerEvent, { event: 'task.routed' }>;
    expect(routed.reason).toMatch(/^web is failed \(gave up restarting\); next plausible agent \(#2\)/);
  });

  it('a task sent to a named agent waits for that agent only, and fails with no-agent when it is stopped', async () => {
    const { clock, fleet, core, index } = setUp({ ranked: ['web'], fallbacks: ['general'] });
    fleet.add('web', 'stopped').add('general', 'healthy');
    const { id } = await core.submit({ input: 'x', agent: 'web' });
    await clock.advance(0);
    await core.whenDone(id);
    expect(index.get(id)!.status).toBe('failed');
    expect(index.get(id)!.error).toMatch(/no agent could take the task: web is stopped/);
    expect(fleet.calls).toEqual([]);
  });
});

/**
 * A worker whose one tool call needs approval: after `askAfterMs` it asks, then waits for the
 * decision (as the real one does, its own clock paused), answers `workMs` later with the verdict.
 */
function asksApproval(fleet: FakeFleet, askAfterMs: number, workMs = 10): Script {
  return (request, clock) =>
    new Promise((resolve, reject) => {
      request.onRemoteTask('remote-1');
      let work: ReturnType<FakeClock['setTimeout']> | null = null;
      const timer = clock.setTimeout(() => {
        request.onProgress({ kind: 'approval', id: 'ap-1', tool: 'run_shell', args: '{"command":"rm -rf build"}' });
        fleet.onDecision = (decision) => {
          work = clock.setTimeout(() => resolve(completed(`tool ${decision.verdict}${decision.note ? `: ${decision.note}` : ''}`)), workMs);
        };
      }, askAfterMs);
      request.signal.addEventListener('abort', () => {
        clock.clearTimeout(timer);
        if (work) clock.clearTimeout(work);
        reject(new AttemptError('aborted', 'aborted'));
      });
    });
}

describe('task core: approval of a tool call', () => {
  it('waits for a person past the task timeout (its clock paused), records request and decision, sends the key', async () => {
    const { clock, fleet, core, index, eventsOf } = setUp({ ranked: ['dev'], settings: { timeoutMs: 60_000, approvalTimeoutMs: 600_000 } });
    fleet.add('dev', 'healthy');
    fleet.script('dev#0', asksApproval(fleet, 50_000));
    const { id } = await core.submit({ input: 'clean the build' });
    await clock.advance(50_000);
    expect(index.get(id)!.status).toBe('awaiting-approval');
    expect(index.get(id)!.approval).toMatchObject({ id: 'ap-1', tool: 'run_shell', args: '{"command":"rm -rf build"}', agent: 'dev', instance: 0 });
    expect(core.stateOf(id)).toMatchObject({ name: 'awaiting-approval', agent: 'dev', approval: { id: 'ap-1', tool: 'run_shell', deadline: 650_000 } });
    // Five minutes of a person's time: far past the 60 s task timeout, which is paused.
    await clock.advance(300_000);
    expect(index.get(id)!.status).toBe('awaiting-approval');
    expect(core.decideApproval(id, 'approved', 'cli', 'ok, build only')).toBe('decided');
    expect(core.decideApproval(id, 'denied', 'cli', null)).toBe('not-waiting');
    expect(fleet.decisions).toEqual([{ remoteTaskId: 'remote-1', id: 'ap-1', key: expect.stringMatching(/^[0-9a-f-]{36}$/), verdict: 'approved', note: 'ok, build only' }]);
    expect(index.get(id)!.status).toBe('running');
    await clock.advance(10);
    await core.whenDone(id);
    expect(index.get(id)!.status).toBe('completed');
    expect(index.get(id)!.output).toBe('tool approved: ok, build only');
    expect(eventsOf(id, 'approval.requested')).toEqual([expect.objectContaining({ approvalId: 'ap-1', tool: 'run_shell', timeoutMs: 600_000 })]);
    expect(eventsOf(id, 'approval.decided')).toEqual([expect.objectContaining({ approvalId: 'ap-1', verdict: 'approved', by: 'cli', note: 'ok, build only', waitedMs: 300_000 })]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('the approval timeout denies; the task then has what was left of its own timeout', async () => {
    const { clock, fleet, core, index, eventsOf } = setUp({ ranked: ['dev'], settings: { timeoutMs: 60_000, approvalTimeoutMs: 120_000 } });
    fleet.add('dev', 'healthy');
    fleet.script('dev#0', asksApproval(fleet, 40_000, 25_000));
    const { id } = await core.submit({ input: 'clean the build' });
    await clock.advance(40_000 + 119_999);
    expect(index.get(id)!.status).toBe('awaiting-approval');
    await clock.advance(1);
    expect(eventsOf(id, 'approval.decided')).toEqual([expect.objectContaining({ verdict: 'timeout', by: 'timeout', waitedMs: 120_000 })]);
    expect(fleet.decisions[0]).toMatchObject({ verdict: 'timeout' });
    // 40 s used before the wait, 20 s left: the worker's 25 s more runs into the deadline.
    await clock.advance(20_000);
    await core.whenDone(id);
    expect(index.get(id)!.status).toBe('timeout');
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a cancel ends the wait: no decision is sent, the task ends cancelled', async () => {
    const { clock, fleet, core, index, eventsOf } = setUp({ ranked: ['dev'] });
    fleet.add('dev', 'healthy');
    fleet.script('dev#0', asksApproval(fleet, 10));
    const { id } = await core.submit({ input: 'x' });
    await clock.advance(10);
    expect(index.get(id)!.status).toBe('awaiting-approval');
    expect(core.cancel(id, 'user')).toBe('cancelling');
    await core.whenDone(id);
    expect(index.get(id)!.status).toBe('cancelled');
    expect(index.get(id)!.approval).toBeNull();
    expect(core.decideApproval(id, 'approved', 'cli', null)).toBe('not-waiting');
    expect(fleet.decisions).toEqual([]);
    expect(eventsOf(id, 'approval.decided')).toEqual([]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a task not waiting is not decided, an unknown one is not found', async () => {
    const { clock, fleet, core } = setUp({ ranked: ['dev'] });
    fleet.add('dev', 'healthy');
    const { id } = await core.submit({ input: 'x' });
    expect(core.decideApproval(id, 'approved', 'cli', null)).toBe('not-waiting');
    expect(core.decideApproval('nope', 'approved', 'cli', null)).toBe('not-found');
    await clock.advance(10);
    await core.whenDone(id);
  });
});

describe('task core: cancellation and deadlines', () => {
  it('a cancel accepted just before the answer is processed wins; exactly one terminal event', async () => {
    const { clock, fleet, core, index, terminal } = setUp({ ranked: ['qa'] });
    fleet.add('qa', 'healthy');
    let answer: (outcome: WorkerOutcome) => void = () => undefined;
    fleet.script('qa#0', () => new Promise((resolve) => (answer = resolve)));
    const { id } = await core.submit({ input: 'x' });
    await clock.advance(5);
    answer(completed());
    expect(core.cancel(id, 'user')).toBe('cancelling');
    await core.whenDone(id);
    expect(index.get(id)!.status).toBe('cancelled');
    expect(terminal(id)).toHaveLength(1);
    expect(core.cancel(id, 'user')).toBe('finished');
  });

  it('a cancel after the answer was recorded changes nothing', async () => {
    const { clock, fleet, core, index, terminal } = setUp({ ranked: ['qa'] });
    fleet.add('qa', 'healthy');
    const { id } = await core.submit({ input: 'x' });
    await clock.advance(10);
    expect(core.cancel(id, 'user')).toBe('finished');
    await core.whenDone(id);
    expect(index.get(id)!.status).toBe('completed');
    expect(terminal(id)).toHaveLength(1);
  });

  it('a cancel while waiting for an agent ends the task cancelled at once', async () => {
    const { clock, fleet, core, index, terminal } = setUp({ ranked: ['qa'] });
    fleet.add('qa', 'recovering');
    const { id } = await core.submit({ input: 'x' });
    await clock.advance(1_000);
    expect(core.cancel(id, 'api')).toBe('cancelling');
    await core.whenDone(id);
    expect(index.get(id)!.status).toBe('cancelled');
    expect(terminal(id)).toHaveLength(1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a timeout during failover: the deadline holds across agents, one terminal event', async () => {
    const { clock, fleet, core, index, eventsOf, terminal } = setUp({ ranked: ['web', 'qa'], settings: { timeoutMs: 40_000, queueTimeoutMs: 30_000 } });
    fleet.add('web', 'recovering').add('qa', 'recovering');
    const { id } = await core.submit({ input: 'x' });
    await clock.advance(30_000);
    expect(core.stateOf(id)).toMatchObject({ name: 'waiting', agent: 'qa' });
    expect(eventsOf(id, 'task.waiting').map((event) => (event as { agent: string }).agent)).toEqual(['web', 'qa']);
    await clock.advance(10_000);
    await core.whenDone(id);
    expect(index.get(id)!.status).toBe('timeout');
    expect(index.get(id)!.error).toBe('timed out after 40000 ms waiting for a healthy instance of qa');
    expect(terminal(id)).toHaveLength(1);
  });

  it('a timeout mid-attempt after a failover ends the task as timeout, and the attempt as timeout', async () => {
    const { clock, fleet, core, index, eventsOf, terminal } = setUp({ ranked: ['web'], fallbacks: ['general'], settings: { timeoutMs: 10_000, queueTimeoutMs: 2_000 } });
    fleet.add('web', 'recovering').add('general', 'healthy').script('general#0', answersAfter(60_000));
    const { id } = await core.submit({ input: 'x' });
    await clock.advance(10_000);
    await core.whenDone(id);
    expect(index.get(id)!.status).toBe('timeout');
    expect(index.get(id)!.error).toBe('timed out after 10000 ms');
    expect(eventsOf(id, 'task.attempt')).toMatchObject([{ agent: 'general', status: 'timeout' }]);
    expect(terminal(id)).toHaveLength(1);
  });

  it("a worker's own timeout, a millisecond before the task's, is said as the task's timeout", async () => {
    const { clock, fleet, core, index } = setUp({ ranked: ['web'], settings: { timeoutMs: 500 } });
    // The worker counts down what was left of the deadline when it got the task, and may fire
    // first: its "499 ms" is the task's 500 ms, as the user set it.
    fleet.add('web', 'healthy').script('web#0', answersAfter(499, { status: 'timeout', output: '', error: 'timed out after 499 ms', usage: null, files: [] }));
    const { id } = await core.submit({ input: 'x' });
    await clock.advance(499);
    await core.whenDone(id);
    expect(index.get(id)!.status).toBe('timeout');
    expect(index.get(id)!.error).toBe('timed out after 500 ms');
  });
});

describe('task core: attempts lost to dying workers', () => {
  it('retries on the same agent once it is back, without using up task.retries', async () => {
    const { clock, fleet, core, index, eventsOf, terminal } = setUp({ ranked: ['qa'], settings: { retries: 0 } });
    fleet.add('qa', 'healthy').script('qa#0', diesAfter(100), diesAfter(100));
    const { id } = await core.submit({ input: 'x' });
    await clock.advance(100);
    // Lost, and the probes have not noticed yet: the task does not retry on the corpse.
    expect(core.stateOf(id)).toMatchObject({ name: 'waiting', agent: 'qa', why: 'instance-lost' });
    expect(fleet.calls).toEqual(['qa#0']);
    fleet.set('qa#0', 'recovering');
    await clock.advance(500);
    fleet.set('qa#0', 'healthy');
    await clock.advance(100);
    fleet.set('qa#0', 'recovering');
    fleet.set('qa#0', 'healthy');
    await clock.advance(10);
    await core.whenDone(id);
    expect(index.get(id)!.status).toBe('completed');
    expect(fleet.calls).toEqual(['qa#0', 'qa#0', 'qa#0']);
    expect(eventsOf(id, 'task.attempt')).toMatchObject([
      { status: 'failed', transport: true },
      { status: 'failed', transport: true },
      { status: 'completed' },
    ]);
    const routed = eventsOf(id, 'task.routed') as Array<Extract<LedgerEvent, { event: 'task.routed' }>>;
    expect(routed[1]!.reason).toMatch(/^retry after qa#0 was lost \(connection to the worker failed: UND_ERR_SOCKET\)/);
    expect(terminal(id)).toHaveLength(1);
  });

  it('tries a lost instance that still looks healthy again after the recheck delay (a remote agent\'s broken connection)', async () => {
    const { clock, fleet, core, index } = setUp({ ranked: ['qa'], settings: { retries: 0 } });
    fleet.add('qa', 'healthy').script('qa#0', diesAfter(10));
    const { id } = await core.submit({ input: 'x' });
    await clock.advance(10);
    expect(core.stateOf(id)).toMatchObject({ name: 'waiting', why: 'instance-lost' });
    await clock.advance(LOST_INSTANCE_RECHECK_MS - 1);
    expect(fleet.calls).toEqual(['qa#0']);
    await clock.advance(1);
    await clock.advance(10);
    await core.whenDone(id);
    expect(fleet.calls).toEqual(['qa#0', 'qa#0']);
    expect(index.get(id)!.status).toBe('completed');
  });

  it('retries on another healthy instance of the agent at once', async () => {
    const { clock, fleet, core, index } = setUp({ ranked: ['qa'], settings: { retries: 0 } });
    fleet.add('qa', 'healthy', 0).add('qa', 'healthy', 1).script('qa#0', diesAfter(50));
    const { id } = await core.submit({ input: 'x' });
    await clock.advance(50);
    await clock.advance(10);
    await core.whenDone(id);
    expect(fleet.calls).toEqual(['qa#0', 'qa#1']);
    expect(index.get(id)!.status).toBe('completed');
  });

  it('is bounded: a worker that dies on every attempt fails the task after maxTransportLosses', async () => {
    const { clock, fleet, core, index, terminal } = setUp({ ranked: ['qa'], maxTransportLosses: 3 });
    fleet.add('qa', 'healthy').script('qa#0', diesAfter(10), diesAfter(10), diesAfter(10), diesAfter(10));
    const { id } = await core.submit({ input: 'x' });
    for (let i = 0; i < 5; i += 1) {
      await clock.advance(10);
      fleet.set('qa#0', 'recovering');
      fleet.set('qa#0', 'healthy');
    }
    await core.whenDone(id);
    expect(fleet.calls).toHaveLength(3);
    expect(index.get(id)!.status).toBe('failed');
    expect(index.get(id)!.error).toMatch(/3 attempts lost to workers that died while running it; giving up/);
    expect(terminal(id)).toHaveLength(1);
  });

  it('attempts never delivered (connection refused) do not count toward the bound: the task waits for the worker to be back', async () => {
    const { clock, fleet, core, index } = setUp({ ranked: ['qa'], maxTransportLosses: 2 });
    const notListening: Script = async () => {
      throw new AttemptError('connection refused: the instance is not listening', 'not-listening');
    };
    fleet.add('qa', 'healthy').script('qa#0', notListening, notListening, notListening, diesAfter(10));
    const { id } = await core.submit({ input: 'x' });
    for (let i = 0; i < 4; i += 1) {
      await clock.advance(10);
      // Refused: skipped, waiting, until the instance is back under a new epoch (no spinning).
      expect(core.stateOf(id)).toMatchObject({ name: 'waiting', why: 'instance-lost' });
      expect(fleet.calls).toHaveLength(i + 1);
      fleet.set('qa#0', 'recovering');
      fleet.set('qa#0', 'healthy');
    }
    await clock.advance(10);
    await core.whenDone(id);
    // Three refusals and one death: one loss counted of two allowed, then completed.
    expect(fleet.calls).toHaveLength(5);
    expect(index.get(id)!.status).toBe('completed');
  });

  it('the worker\'s own errors use task.retries, on another instance', async () => {
    const { clock, fleet, core, index } = setUp({ ranked: ['qa'], settings: { retries: 1 } });
    const broken: Script = async () => {
      throw new AttemptError('worker answered HTTP 500: boom', 'http');
    };
    fleet.add('qa', 'healthy', 0).add('qa', 'healthy', 1).script('qa#0', broken).script('qa#1', broken);
    const { id } = await core.submit({ input: 'x' });
    await clock.advance(10);
    await core.whenDone(id);
    expect(fleet.calls).toEqual(['qa#0', 'qa#1']);
    expect(index.get(id)!.status).toBe('failed');
    expect(index.get(id)!.error).toMatch(/HTTP 500: boom \(after 2 attempts\)/);
  });
});

describe('task core: listeners of one task', () => {
  it('hears its own task from its submission on, and nothing of the others; unsubscribe stops it', async () => {
    const { clock, fleet, core } = setUp({ ranked: ['qa'] });
    fleet.add('qa', 'healthy');
    const heard: string[] = [];
    const first = await core.submit({ input: 'one' }, (event) => heard.push(`${event.taskId} ${event.event}`));
    const watchedLater: string[] = [];
    const second = await core.submit({ input: 'two' });
    const stop = core.watch(second.id, (event) => watchedLater.push(`${event.taskId} ${event.event}`));
    const all: string[] = [];
    core.on('event', (event) => all.push(event.taskId));
    await clock.advance(20);
    await Promise.all([core.whenDone(first.id), core.whenDone(second.id)]);
    expect(heard).toEqual([`${first.id} task.submitted`, `${first.id} task.routed`, `${first.id} task.attempt`, `${first.id} task.completed`]);
    expect(watchedLater).toEqual([`${second.id} task.attempt`, `${second.id} task.completed`]);
    expect(new Set(all)).toEqual(new Set([first.id, second.id]));
    first.unsubscribe();
    stop();
    await core.feedback(first.id, 'good', null);
    expect(heard).toHaveLength(4);
  });

  it('registers no listener for a submission it refuses', async () => {
    const { fleet, core } = setUp({ ranked: ['qa'] });
    fleet.add('qa', 'healthy');
    const heard: unknown[] = [];
    await expect(core.submit({ input: 'x', agent: 'nobody' }, (event) => heard.push(event))).rejects.toThrow('unknown agent "nobody"');
    expect(heard).toEqual([]);
  });
});

describe('interrupted marking at start', () => {
  let dir: string | null = null;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });

  it('marks every task left open by a crashed supervisor, durably, once', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lightning-interrupted-'));
    const ledger = path.join(dir, 'ledger.jsonl');
    const line = (taskId: string, event: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ v: 1, ts: '2026-01-01T00:00:00.000Z', event, taskId, ...extra });
    writeFileSync(
      ledger,
      [
        line('done', 'task.submitted', { input: 'say "event":"task.completed"', agent: null, timeoutMs: 1000 }),
        line('done', 'task.completed', { agent: 'qa', instance: 0, output: 'ok', outputFile: null, usage: null, files: [], durationMs: 5 }),
        line('waiting', 'task.submitted', { input: 'a', agent: null, timeoutMs: 1000 }),
        line('waiting', 'task.waiting', { agent: 'qa', reason: 'restarting', message: 'm' }),
        line('running', 'task.submitted', { input: 'b', agent: null, timeoutMs: 1000 }),
        line('running', 'task.routed', { attempt: 1, agent: 'qa', instance: 0, candidates: [], reason: 'r' }),
        '{"v":1,"ts":"2026-01-01T00:00:01.000Z","event":"task.completed","taskId":"running","ag',
      ].join('\n'),
    );
    expect(await markInterrupted(ledger)).toEqual(['waiting', 'running']);
    const index = new TaskIndex(readEvents(ledger));
    expect(index.get('done')!.status).toBe('completed');
    expect(index.get('waiting')).toMatchObject({ status: 'interrupted', error: INTERRUPTED_ERROR, waiting: null });
    expect(index.get('running')!.status).toBe('interrupted');
    expect(index.unfinished()).toEqual([]);
    expect(await markInterrupted(ledger)).toEqual([]);
    expect(await markInterrupted(path.join(dir, 'missing.jsonl'))).toEqual([]);
  });
});
