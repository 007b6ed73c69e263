import type { FailureReason, LedgerEventBody, TeamRole } from '../protocol/events.js';
import type { TaskView } from '../ledger/reader.js';
import type { TaskBudget, TokenUsage } from '../protocol/task.js';
import type { TaskMode, TeamPlan } from '../protocol/team-plan.js';
import type { Clock } from '../util/clock.js';
import { parsePlan } from './team-plan.js';
import type { TerminalTaskState } from './task-state.js';
import { terminalRecord } from './terminal-record.js';
import type { Spent } from './terminal-record.js';

/** One step of a team, as the team asks the task core for it. */
export interface TeamStepRequest {
  role: TeamRole;
  input: string;
  /** The agent to run it on; routed like any task without one. */
  agent?: string | undefined;
  subtask?: string | undefined;
  mode?: TaskMode | undefined;
  /** Put before the input on its way to the worker (not recorded as the step's input). */
  brief: string | null;
  timeoutMs: number;
  /** What the team has left when the step starts; null: the step's agent's own budget. */
  budget: TaskBudget | null;
}

export interface TeamStepHandle {
  id: string;
  /** Settles once the step has ended, with its view as the ledger derives it. */
  done: Promise<TaskView | undefined>;
  cancel(): void;
}

/** What a team needs of the task core around it. */
export interface TeamContext {
  readonly clock: Clock;
  record(taskId: string, body: LedgerEventBody): Promise<void>;
  /** Submits one step as a task of its own, with `parentId` as its team (and workspace). */
  submitStep(parentId: string, step: TeamStepRequest): TeamStepHandle;
  planner(): string | null;
  agents(): Array<{ name: string; description: string; capabilities: string[] }>;
}

type Stop = { kind: 'cancel'; by: 'user' | 'api' } | { kind: 'timeout' };

/** A plan's output shown in a failure: enough to see what the planner did, never the whole of a runaway answer. */
const SHOWN_OUTPUT = 2000;

/**
 * A team task: the planner's one model call makes a plan (re-asked once if it does not validate),
 * its subtasks run as tasks of their own (routing, waiting, failover), each once the subtasks it
 * depends on have completed, all in the team task's workspace; the planner then combines their
 * results into the answer. A subtask that fails fails the team; cancel and the deadline stop every
 * step still running.
 */
export class TeamRun {
  private phase: 'planning' | 'running' | 'combining' = 'planning';
  private stop: Stop | null = null;
  private ending = false;
  private ended: TerminalTaskState | null = null;
  private readonly live = new Set<TeamStepHandle>();
  /** Tokens and cost given to steps still running: not spent yet, but no longer the team's to give. */
  private readonly reserved = new Map<TeamStepHandle, { tokens: number; cost: number }>();
  private readonly steps: TaskView[] = [];
  private readonly started: number;
  private readonly deadline: number;
  private wake: (() => void) | null = null;
  readonly done: Promise<void>;

  constructor(
    readonly id: string,
    private readonly input: string,
    private readonly timeoutMs: number,
    private readonly budget: TaskBudget,
    private readonly context: TeamContext,
  ) {
    this.started = context.clock.now();
    this.deadline = this.started + timeoutMs;
    this.done = this.execute();
  }

  get state(): { name: 'team'; since: number; phase: 'planning' | 'running' | 'combining' } | TerminalTaskState {
    return this.ended ?? { name: 'team', since: this.started, phase: this.phase };
  }

  cancel(by: 'user' | 'api'): 'cancelling' | 'finished' {
    if (this.ending) return 'finished';
    this.halt({ kind: 'cancel', by });
    return 'cancelling';
  }

  private halt(stop: Stop): void {
    this.stop ??= stop;
    for (const step of this.live) step.cancel();
    this.wake?.();
  }

  private stopReason(): Stop | null {
    return this.stop;
  }

  private async execute(): Promise<void> {
    const { clock } = this.context;
    const timer = clock.setTimeout(() => this.halt({ kind: 'timeout' }), this.timeoutMs);
    try {
      await this.run();
    } catch (error) {
      await this.end(this.failed('error', `internal error: ${(error as Error).message}`));
    } finally {
      clock.clearTimeout(timer);
    }
  }

  private async run(): Promise<void> {
    const planner = this.context.planner();
    if (planner === null) {
      return this.end(this.failed('no-agent', 'a team task needs a planner: set `planner: AGENT` in agents.yaml, or mark an agent `fallback: true`'));
    }
    const plan = await this.plan(planner);
    if (plan === null) return;
    this.phase = 'running';
    void this.record({
      event: 'task.planned',
      planner,
      subtasks: plan.subtasks.map((sub) => ({ id: sub.id, agent: sub.agent ?? null, capabilities: sub.capabilities ?? [], dependsOn: sub.dependsOn })),
    });
    const results = await this.runSubtasks(plan);
    if (results === null) return;
    this.phase = 'combining';
    const combined = await this.step({ role: 'combine', agent: planner, mode: 'combine', input: this.combineInput(plan, results), brief: null });
    if (combined === null) return;
    if (combined.status !== 'completed') return this.end(this.failed(failureOf(combined), `the combine step by ${planner} ${combined.status}: ${combined.error ?? 'no reason given'}`));
    return this.end({ name: 'completed', at: this.context.clock.now(), agent: combined.agent ?? planner, instance: combined.instance ?? 0 }, combined);
  }

  /** The validated plan; null once the team has ended (planner failed, plan invalid twice, stopped). */
  private async plan(planner: string): Promise<TeamPlan | null> {
    const names = this.context.agents().map((agent) => agent.name);
    let previous: { output: string; errors: string[] } | null = null;
    for (let ask = 1; ask <= 2; ask += 1) {
      const view = await this.step({ role: 'plan', agent: planner, mode: 'plan', input: this.planInput(previous), brief: null });
      if (view === null) return null;
      if (view.status !== 'completed') {
        await this.end(this.failed(failureOf(view), `the planner ${planner} could not plan the task: ${view.error ?? view.status}`));
        return null;
      }
      const output = view.output ?? '';
      const parsed = parsePlan(output, names);
      if (parsed.ok) return parsed.plan;
      previous = { output, errors: parsed.errors };
    }
    const shown = previous!.output.length > SHOWN_OUTPUT ? `${previous!.output.slice(0, SHOWN_OUTPUT)}…` : previous!.output;
    await this.end(this.failed('error', `the planner ${planner} gave no valid plan, asked twice: ${previous!.errors.join('; ')}. Its output was: ${shown}`));
    return null;
  }

  private planInput(previous: { output: string; errors: string[] } | null): string {
    const agents = this.context.agents().map((agent) => `- ${agent.name}: ${agent.description}${agent.capabilities.length ? ` (${agent.capabilities.join(', ')})` : ''}`);
    const lines = [`<task>${this.input}</task>`, '', 'Agents:', ...agents];
    if (previous) {
      lines.push('', 'Your previous answer was not a valid plan:', previous.output, '', 'The problems:', ...previous.errors.map((error) => `- ${error}`), 'Answer again with a valid plan.');
    }
    return lines.join('\n');
  }

  /** Runs the subtasks in dependency order, independent ones at once; null once the team has ended. */
  private async runSubtasks(plan: TeamPlan): Promise<Map<string, TaskView> | null> {
    const results = new Map<string, TaskView>();
    const pending = [...plan.subtasks];
    const running = new Map<string, Promise<{ id: string; view: TaskView | null }>>();
    while (pending.length > 0 || running.size > 0) {
      const ready = pending.filter((sub) => sub.dependsOn.every((dep) => results.has(dep)));
      ready.forEach((sub, index) => {
        pending.splice(pending.indexOf(sub), 1);
        const input = sub.agent === undefined && sub.capabilities ? `${sub.input} (needs: ${sub.capabilities.join(', ')})` : sub.input;
        const brief = this.briefOf(sub.dependsOn, results);
        // Subtasks that start together share what is left evenly, so together they cannot spend more.
        const share = ready.length - index;
        running.set(sub.id, this.step({ role: 'subtask', subtask: sub.id, agent: sub.agent, input, brief }, share).then((view) => ({ id: sub.id, view })));
      });
      const next = await Promise.race(running.values());
      running.delete(next.id);
      if (next.view === null) {
        await Promise.all(running.values());
        return null;
      }
      if (next.view.status !== 'completed') {
        for (const step of this.live) step.cancel();
        await Promise.all(running.values());
        if (this.stopReason()) {
          await this.endStopped();
          return null;
        }
        const view = next.view;
        await this.end(this.failed(failureOf(view), `subtask "${next.id}" (task ${view.id}${view.agent ? `, agent ${view.agent}` : ''}) ${view.status}: ${view.error ?? 'no reason given'}`));
        return null;
      }
      results.set(next.id, next.view);
    }
    return results;
  }

  /** What a subtask sees before its own input: its team's task, and its dependencies' results and files. */
  private briefOf(dependsOn: string[], results: Map<string, TaskView>): string | null {
    const lines = [`You do one subtask of a team task. The files of the team are in your workspace.`];
    for (const dep of dependsOn) {
      const view = results.get(dep)!;
      lines.push('', `Result of subtask ${dep} (${view.agent ?? '?'}):`, view.output ?? '');
      if (view.files.length > 0) lines.push(`Files it wrote: ${view.files.join(', ')}`);
    }
    lines.push('', 'Your subtask:');
    return lines.join('\n');
  }

  private combineInput(plan: TeamPlan, results: Map<string, TaskView>): string {
    const lines = [`<task>${this.input}</task>`];
    for (const sub of plan.subtasks) {
      const view = results.get(sub.id)!;
      lines.push('', `Subtask ${sub.id} (${view.agent ?? '?'}): ${sub.input}`, `Result: ${view.output ?? ''}`);
      if (view.files.length > 0) lines.push(`Files: ${view.files.join(', ')}`);
    }
    return lines.join('\n');
  }

  /**
   * Runs one step to its end; null when the team was stopped meanwhile (and has now ended). The
   * step gets 1/`share` of the tokens and cost not yet spent nor given to steps still running.
   */
  private async step(request: Omit<TeamStepRequest, 'timeoutMs' | 'budget'>, share = 1): Promise<TaskView | null> {
    if (this.stop) {
      await this.endStopped();
      return null;
    }
    const left = this.budgetLeft(share);
    if (left.exhausted !== null) {
      await this.end(this.failed('budget', `budget exhausted before the ${request.role === 'subtask' ? `subtask ${request.subtask}` : `${request.role} step`}: ${left.exhausted}`));
      return null;
    }
    const handle = this.context.submitStep(this.id, { ...request, timeoutMs: Math.max(1, this.deadline - this.context.clock.now()), budget: left.budget });
    this.live.add(handle);
    if (left.budget) this.reserved.set(handle, { tokens: left.budget.tokens ?? 0, cost: left.budget.cost ?? 0 });
    const view = await handle.done;
    this.live.delete(handle);
    this.reserved.delete(handle);
    if (view) this.steps.push(view);
    if (this.stopReason()) {
      if (this.live.size === 0) await this.endStopped();
      return null;
    }
    if (!view) {
      await this.end(this.failed('error', `internal error: step ${handle.id} has no record`));
      return null;
    }
    return view;
  }

  /** What the steps so far spent. */
  private spent(): Spent {
    const usage = this.steps.reduce<TokenUsage | null>((sum, view) => addUsage(sum, view.usage), null);
    const costs = this.steps.map((view) => view.cost).filter((cost): cost is number => cost !== null);
    return { usage, cost: costs.length > 0 ? costs.reduce((a, b) => a + b, 0) : null };
  }

  /**
   * The team's budget less what its steps spent and what steps still running were given: 1/`share`
   * of that is what the next step gets (time is not divided: steps at once spend it together).
   * `exhausted` says how, once nothing is left.
   */
  private budgetLeft(share = 1): { budget: TaskBudget | null; exhausted: string | null } {
    const { tokens, cost, timeMs } = this.budget;
    if (tokens === null && cost === null && timeMs === null) return { budget: null, exhausted: null };
    const spent = this.spent();
    const spentTokens = spent.usage?.totalTokens ?? 0;
    const spentCost = spent.cost ?? 0;
    let heldTokens = 0;
    let heldCost = 0;
    for (const held of this.reserved.values()) {
      heldTokens += held.tokens;
      heldCost += held.cost;
    }
    const elapsed = this.context.clock.now() - this.started;
    const words = `spent ${spentTokens} tokens${spent.cost === null ? '' : ` ($${spentCost.toFixed(4)})`} in ${elapsed} ms`;
    if (tokens !== null && spentTokens >= tokens) return { budget: null, exhausted: `${words} of a ${tokens}-token budget` };
    if (cost !== null && spentCost >= cost) return { budget: null, exhausted: `${words} of a $${cost} budget` };
    if (timeMs !== null && elapsed >= timeMs) return { budget: null, exhausted: `${words} of a ${timeMs} ms time budget` };
    const tokensLeft = tokens === null ? null : Math.floor((tokens - spentTokens - heldTokens) / share);
    const costLeft = cost === null ? null : (cost - spentCost - heldCost) / share;
    if (tokensLeft !== null && tokensLeft < 1) return { budget: null, exhausted: `${words} of a ${tokens}-token budget, and steps still running hold ${heldTokens} tokens of it` };
    if (costLeft !== null && costLeft <= 0) return { budget: null, exhausted: `${words} of a $${cost} budget, and steps still running hold $${heldCost.toFixed(4)} of it` };
    return { budget: { tokens: tokensLeft, cost: costLeft, timeMs: timeMs === null ? null : timeMs - elapsed }, exhausted: null };
  }

  private endStopped(): Promise<void> {
    const stop = this.stop!;
    if (stop.kind === 'cancel') return this.end({ name: 'cancelled', at: this.context.clock.now(), by: stop.by });
    return this.end(this.failed('timeout', `timed out after ${this.timeoutMs} ms (${this.phase === 'planning' ? 'planning' : this.phase === 'running' ? 'running subtasks' : 'combining'})`));
  }

  private failed(reason: FailureReason, error: string): TerminalTaskState {
    return { name: 'failed', at: this.context.clock.now(), reason, error };
  }

  private async end(state: TerminalTaskState, combined?: TaskView): Promise<void> {
    if (this.ending) return;
    this.ending = true;
    this.ended = state;
    // The team's cost is every step's; its files are all the files its steps wrote; its answer the combine step's.
    const spent = this.spent();
    const produced = { ...spent, output: combined?.output ?? '', outputFile: combined?.outputFile ?? null, files: [...new Set(this.steps.flatMap((view) => view.files))] };
    await this.record(terminalRecord(state, state.at - this.started, { produced, spent }));
  }

  private record(body: LedgerEventBody): Promise<void> {
    return this.context.record(this.id, body);
  }
}

function failureOf(view: TaskView): FailureReason {
  if (view.status === 'timeout') return 'timeout';
  return view.failure === 'config' || view.failure === 'no-agent' || view.failure === 'budget' ? view.failure : 'error';
}

function addUsage(total: TokenUsage | null, more: TokenUsage | null): TokenUsage | null {
  if (!more) return total;
  if (!total) return { ...more };
  return { promptTokens: total.promptTokens + more.promptTokens, completionTokens: total.completionTokens + more.completionTokens, totalTokens: total.totalTokens + more.totalTokens };
}
