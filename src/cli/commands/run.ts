import path from 'node:path';
import { ApiClient } from '../../api/client.js';
import type { ApiError } from '../../api/client.js';
import type { TaskEvent } from '../../protocol/events.js';
import { budgetFlag } from '../budget-flag.js';
import { durationFlag } from '../duration-flag.js';
import { describeApproval } from '../render/approval.js';
import type { TaskProgress, TaskResult } from '../../protocol/task.js';
import type { SupervisorInfo } from '../../state/supervisor-file.js';
import type { CommandContext, GlobalOptions } from '../context.js';
import { findRunningSupervisor, resolveContext } from '../context.js';
import { EXIT, ExitError } from '../exit-error.js';
import { paint } from '../render/color.js';
import { startSpinner } from '../render/spinner.js';
import { describeStatus } from '../render/task-view.js';
import { ensureStateDir } from './state-dir.js';

export interface RunOptions extends GlobalOptions {
  agent?: string;
  /** true: --team; false: --no-team; absent: as the router proposes. */
  team?: boolean;
  budget?: string;
  timeout?: string;
  json?: boolean;
  detach?: boolean;
  autostart?: boolean;
}

/** How long `run` waits for an autostarted fleet to settle. */
const AUTOSTART_TIMEOUT_MS = 60_000;

/**
 * `lightning run "task"`: submits the task, shows its progress (routing, steps, tool calls) on a
 * terminal, prints the answer and the files it wrote. Ctrl-C cancels the task.
 */
export async function runCommand(input: string, options: RunOptions): Promise<void> {
  if (input.trim() === '') throw new ExitError('the task is empty: lightning run "what the agent should do"', EXIT.usage);
  const timeoutMs = options.timeout === undefined ? undefined : durationFlag('--timeout', options.timeout, { positive: true, example: '5m' });
  if (options.team && options.agent) throw new ExitError('--team plans the task across agents: give --team or --agent, not both', EXIT.usage);
  const budget = options.budget === undefined ? undefined : budgetFlag(options.budget);
  const context = resolveContext(options);
  const info = await ensureSupervisor(context, options.autostart !== false);
  const body = { input, ...(options.agent ? { agent: options.agent } : {}), ...(timeoutMs ? { timeoutMs } : {}), ...(options.team !== undefined ? { team: options.team } : {}), ...(budget ? { budget } : {}) };

  if (options.detach) {
    const response = await new ApiClient(info).submitTask(body);
    if (response.status !== 202) throw new ExitError(response.body.message ?? `HTTP ${response.status}`, response.status < 500 ? EXIT.usage : EXIT.failed);
    process.stdout.write(options.json ? JSON.stringify(response.body) + '\n' : `${response.body.id}\n`);
    return;
  }

  const spinner = options.json ? null : await startSpinner('routing');
  // Set from the stream's callback: fields of one object, which control flow does not narrow to their start.
  const ended: { result: TaskResult | null; rejected: ApiError | null } = { result: null, rejected: null };
  let taskId: string | null = null;
  let interrupted = false;
  const team = new TeamProgress(spinner, Boolean(options.json));
  const stream = new ApiClient(info).streamTask(body, (event) => {
    if (event.event === 'result') ended.result = event.result;
    else if (event.event === 'error') ended.rejected = event.error;
    else {
      taskId ??= event.taskId;
      // A call waiting for a person: a line that stays (the spinner only shows the latest event).
      const approval = options.json ? null : describeApproval(event);
      if (approval) {
        if (spinner) process.stderr.write('\r\x1b[2K');
        process.stderr.write(`  ${approval}\n`);
      }
      const step = team.label(event);
      spinner?.update(step === null ? describeEvent(event) : `${step}: ${describeEvent(event)}`);
    }
  });
  let abandoned = false;
  const onSigint = () => {
    if (interrupted || !taskId) {
      // A second Ctrl-C, or one before the supervisor named the task: stop waiting.
      abandoned = true;
      interrupted = true;
      return stream.abort();
    }
    interrupted = true;
    spinner?.update(`Ctrl-C: cancelling task ${taskId}`);
    void new ApiClient(info).cancelTask(taskId).catch(() => undefined);
  };
  process.on('SIGINT', onSigint);
  try {
    await stream.done;
  } catch (error) {
    if (!interrupted) throw new ExitError(`lost the connection to the supervisor: ${(error as Error).message}`);
  } finally {
    process.off('SIGINT', onSigint);
    spinner?.stop();
  }
  if (abandoned) {
    const which = taskId ? `task ${taskId}: cancel requested; \`lightning task ${taskId}\` shows how it ended` : 'the task was not started';
    throw new ExitError(`interrupted — ${which}`, EXIT.interrupted);
  }
  if (ended.rejected) throw new ExitError(ended.rejected.message ?? 'the supervisor refused the task', EXIT.usage);
  const final = ended.result;
  if (!final) throw new ExitError('the supervisor ended the stream without a result');
  printResult(final, context, Boolean(options.json));
  if (final.failure === 'config' && !options.json) {
    const hint = handToFleetHint(context, info);
    if (hint) process.stderr.write(`${hint}\n`);
  }
  if (interrupted) {
    if (!options.json) process.stderr.write(final.status === 'cancelled' ? `cancelled (Ctrl-C)\n` : `Ctrl-C came too late to cancel: the task had ended ${final.status}\n`);
    process.exitCode = EXIT.interrupted;
  }
  else if (final.status !== 'completed') process.exitCode = EXIT.failed;
}

async function ensureSupervisor(context: CommandContext, autostart: boolean): Promise<SupervisorInfo> {
  const running = await findRunningSupervisor(context.paths);
  if (running) return running;
  if (!autostart) {
    throw new ExitError(`no supervisor running for ${context.paths.home}\n  fix: start one with \`lightning up -d\`, or drop --no-autostart`, EXIT.noSupervisor);
  }
  ensureStateDir(context.paths);
  process.stderr.write(`${paint('lightning:', 'dim', process.stderr)} no supervisor running; starting one (lightning up -d)…\n`);
  const { startDaemon } = await import('./up-detached.js');
  return (await startDaemon(context, AUTOSTART_TIMEOUT_MS)).info;
}

/** Model variables a user commonly exports in the shell, expecting the fleet to see them. */
const SHELL_MODEL_VARIABLES = ['OPENAI_API_KEY', 'OPENAI_BASE_URL'];

/**
 * The task failed for a missing endpoint or key while this shell has one: the supervisor's
 * environment was fixed when it started, so say how to hand the variable to the fleet.
 */
function handToFleetHint(context: CommandContext, info: SupervisorInfo): string | null {
  const set = SHELL_MODEL_VARIABLES.filter((name) => process.env[name]?.trim());
  if (set.length === 0) return null;
  const envFile = path.join(path.dirname(info.config || context.paths.home), '.env');
  const lines = set.map((name) => `${name}=${name === 'OPENAI_BASE_URL' && !process.env[name]!.includes('@') ? process.env[name]!.trim() : '<its value>'}`);
  return [
    `your shell has ${set.join(' and ')} set, but the fleet does not see ${set.length > 1 ? 'them' : 'it'}: agents get the environment the supervisor started with, plus ${envFile}.`,
    `  fix: put ${set.length > 1 ? 'them' : 'it'} in ${envFile} (${lines.join(', ')}), then \`lightning reload\` — the agents that need it restart with it.`,
    `      (or restart the fleet from this shell: \`lightning down && lightning up -d\`)`,
  ].join('\n');
}

/**
 * A team task's steps as `run` shows them: a line on stderr as each starts and ends (the spinner
 * only ever shows the latest event), named by the plan's subtask ids.
 */
class TeamProgress {
  private readonly labels = new Map<string, string>();

  constructor(
    private readonly spinner: { update(text: string): void } | null,
    private readonly quiet: boolean,
  ) {}

  /** The step's label when the event is a team step's (null for the team task's own events). */
  label(event: TaskEvent): string | null {
    const id = event.taskId;
    if (event.event === 'task.submitted') {
      if (event.parentId !== undefined) this.labels.set(id, event.role === 'subtask' ? (event.subtask ?? id.slice(0, 8)) : (event.role ?? 'step'));
      if (event.teamReason !== undefined) this.line(`run as a team: ${event.teamReason} (--no-team: one agent)`);
    }
    if (event.event === 'task.planned') {
      this.line(`plan: ${event.subtasks.map((sub) => `${sub.id}${sub.agent ? ` (${sub.agent})` : ''}${sub.dependsOn.length ? ` after ${sub.dependsOn.join(', ')}` : ''}`).join(' · ')}`);
    }
    const label = this.labels.get(id) ?? null;
    if (label === null) return null;
    if (event.event === 'task.routed') this.line(`▸ ${label} → ${event.agent}#${event.instance}`);
    if (event.event === 'task.completed') this.line(`✓ ${label} (${event.agent}, ${formatMs(event.durationMs)})`);
    if (event.event === 'task.failed') this.line(`✗ ${label}: ${event.error}`);
    if (event.event === 'task.cancelled') this.line(`✗ ${label}: cancelled`);
    return label;
  }

  private line(text: string): void {
    if (this.quiet) return;
    // The spinner redraws its own line: print above it by clearing it first.
    if (this.spinner) process.stderr.write('\r\x1b[2K');
    process.stderr.write(`  ${text}\n`);
  }
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function describeEvent(event: TaskEvent): string {
  switch (event.event) {
    case 'task.submitted':
      return event.team ? 'planning' : 'routing';
    case 'task.waiting':
      return `waiting for ${event.agent}: ${event.message}`;
    case 'task.routed':
      return `${event.agent}#${event.instance}${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}: starting`;
    case 'task.attempt':
      return event.status === 'completed' ? `${event.agent}#${event.instance}: done` : `${event.agent}#${event.instance}: ${event.status} — ${event.error ?? ''}`;
    case 'task.progress':
      return `${event.agent}#${event.instance}: ${describeProgress(event.progress)}`;
    case 'approval.requested':
      return 'awaiting approval';
    case 'approval.decided':
      return 'approval decided: going on';
    default:
      return event.event;
  }
}

function describeProgress(progress: TaskProgress): string {
  switch (progress?.kind) {
    case 'step':
      return `step ${progress.step}`;
    case 'tool-call':
      return `${progress.tool}(${progress.args.slice(0, 60)})`;
    case 'tool-result':
      return `${progress.tool}: ${progress.ok ? 'ok' : 'error'} ${progress.summary.slice(0, 60)}`;
    case 'failover':
      return `${progress.from} failed (${progress.reason.slice(0, 80)}): trying ${progress.to}`;
    case 'retry':
      return `retrying once: ${progress.reason.slice(0, 100)}`;
    case 'delta':
      return `writing: ${progress.text.replace(/\s+/g, ' ').slice(-60)}`;
    default:
      return 'working';
  }
}

function printResult(result: TaskResult, context: CommandContext, json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  if (result.status === 'completed') {
    process.stdout.write(`${result.output ?? ''}\n`);
    if (result.files.length > 0) {
      const workspace = path.join(context.paths.workspacesDir, result.id);
      process.stdout.write(`\nfiles written:\n${result.files.map((file) => `  ${path.join(workspace, file)}`).join('\n')}\n`);
    }
  }
  process.stderr.write(`${describeStatus(result)}\n`);
}
