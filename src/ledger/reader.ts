import fs from 'node:fs';
import type { ApprovalRecord, AttemptRecord, DecisionKind, PendingApproval, RouteCandidate, TaskResult, TaskStatus, TaskWaiting, TokenUsage } from '../protocol/task.js';
import { TERMINAL_STATUSES } from '../protocol/task.js';
import type { FailureReason, LedgerEvent, LedgerEventName, TeamRole } from '../protocol/events.js';

type Candidate = RouteCandidate;

/** A task as derived from its ledger events. */
export interface TaskView {
  id: string;
  status: TaskStatus;
  input: string;
  /** The agent named at submission; null when the router chose. */
  requestedAgent: string | null;
  /** The agent (and instance) of the latest routing, or the one that completed the task. */
  agent: string | null;
  instance: number | null;
  output: string | null;
  outputFile: string | null;
  error: string | null;
  attempts: AttemptRecord[];
  routed: Array<{ attempt: number; agent: string; instance: number; candidates: Candidate[]; reason: string; static: string | null; explored: boolean; decision: DecisionKind | null }>;
  usage: TokenUsage | null;
  /** USD, when the model has a price. */
  cost: number | null;
  files: string[];
  submittedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  feedback: Array<{ rating: 'good' | 'bad'; note: string | null; ts: string }>;
  /** Set while the task waits for an agent (its last event is `task.waiting`). */
  waiting: TaskWaiting | null;
  /** Set while a tool call waits for a person (an `approval.requested` not yet decided). */
  approval: PendingApproval | null;
  /** Every call that asked for approval, with its decision once made. */
  approvals: ApprovalRecord[];
  /** Why a failed task failed (`config`: no model endpoint or key); null otherwise. */
  failure: FailureReason | null;
  /** A team task (planned into subtasks). */
  team: boolean;
  /** Why the router made it a team (automatic teaming); null when asked for, or no team. */
  teamReason: string | null;
  /** A team step's team task; null for any other task. */
  parentId: string | null;
  role: TeamRole | null;
  /** A subtask's id in its team's plan. */
  subtask: string | null;
  /** A team task's steps, in submission order (ids). */
  children: string[];
  /** A team task's plan once validated. */
  plan: { planner: string; subtasks: Array<{ id: string; agent: string | null; capabilities: string[]; dependsOn: string[] }> } | null;
}

/** A Record, not a list, so that adding an event to the union without teaching the reader fails to compile. */
const KNOWN_EVENTS: Record<LedgerEventName, true> = {
  'task.submitted': true, 'task.waiting': true, 'task.routed': true, 'task.attempt': true, 'task.completed': true,
  'task.failed': true, 'task.cancelled': true, 'task.interrupted': true, feedback: true, alert: true, config: true, control: true,
  'task.planned': true, 'approval.requested': true, 'approval.decided': true,
};
const TERMINAL = TERMINAL_STATUSES;
const NL = 0x0a;
const FORWARD_BLOCK = 4 * 1024 * 1024;
const BACKWARD_FIRST_BLOCK = 64 * 1024;
const BACKWARD_MAX_BLOCK = 4 * 1024 * 1024;

/**
 * One ledger line, or null when it is not an event we can use: a torn line left by a crash, garbage,
 * or an object without the envelope every event has. Never throws.
 */
function parseLine(text: string): LedgerEvent | null {
  if (text.length === 0 || text.charCodeAt(0) !== 0x7b /* { */) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const o = value as Record<string, unknown>;
  if (o.v !== 1 || typeof o.taskId !== 'string' || typeof o.ts !== 'string') return null;
  if (typeof o.event !== 'string' || !Object.hasOwn(KNOWN_EVENTS, o.event)) return null;
  return value as LedgerEvent;
}

/** Every usable event of the ledger, in file order. A missing file is an empty ledger. */
export function readEvents(file: string): LedgerEvent[] {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const events: LedgerEvent[] = [];
  const push = (text: string): void => {
    const event = parseLine(text);
    if (event) events.push(event);
  };
  try {
    // Block by block rather than one readFileSync: a ledger can outgrow V8's maximum string length.
    let carry = Buffer.alloc(0);
    for (;;) {
      const block = Buffer.allocUnsafe(FORWARD_BLOCK);
      const n = fs.readSync(fd, block, 0, block.length, null);
      if (n === 0) break;
      const chunk = carry.length > 0 ? Buffer.concat([carry, block.subarray(0, n)]) : block.subarray(0, n);
      const last = chunk.lastIndexOf(NL);
      if (last < 0) {
        carry = chunk;
        continue;
      }
      // A newline byte never occurs inside a multi-byte UTF-8 character, so splitting bytes is safe.
      for (const line of chunk.toString('utf8', 0, last).split('\n')) push(line);
      carry = chunk.subarray(last + 1);
    }
    // An unterminated last line is usually torn (parseLine drops it) but may be whole.
    if (carry.length > 0) push(carry.toString('utf8'));
  } finally {
    fs.closeSync(fd);
  }
  return events;
}

/**
 * The derived state of every task, the one place the derivation rules live. `apply` is incremental,
 * so the supervisor keeps one of these up to date as it appends instead of re-reading the ledger.
 * Views handed out are the live ones, updated in place: read them, do not change them.
 */
export class TaskIndex {
  private readonly tasks = new Map<string, TaskView>();
  /** Submission order; `list` walks it from the end. */
  private readonly order: TaskView[] = [];
  private readonly open = new Set<string>();
  private readonly perAgent = new Map<string, { completed: number; failed: number }>();

  constructor(events?: Iterable<LedgerEvent>) {
    if (events) for (const event of events) this.apply(event);
  }

  apply(e: LedgerEvent): void {
    if (e.event === 'task.submitted') {
      // Ids are unique; a second submission of one is a bug elsewhere and must not reset the task.
      if (this.tasks.has(e.taskId)) return;
      const view = newView(e.taskId, e.input, e.agent, e.ts);
      view.team = e.team === true;
      view.teamReason = e.teamReason ?? null;
      view.parentId = e.parentId ?? null;
      view.role = e.role ?? null;
      view.subtask = e.subtask ?? null;
      if (view.parentId !== null) this.tasks.get(view.parentId)?.children.push(e.taskId);
      this.tasks.set(e.taskId, view);
      this.order.push(view);
      this.open.add(e.taskId);
      return;
    }
    const view = this.tasks.get(e.taskId);
    if (!view) return; // never submitted (or submitted in a part of the ledger that was lost)
    const final = TERMINAL.has(view.status);
    switch (e.event) {
      case 'task.routed': {
        if (final) return; // a late routing must not flip a finished task back to running
        const { attempt, agent, instance, candidates, reason } = e;
        view.routed.push({ attempt, agent, instance, candidates, reason, static: e.static ?? null, explored: e.explored ?? false, decision: e.decision ?? null });
        view.agent = agent;
        view.instance = instance;
        view.status = 'running';
        view.waiting = null;
        return;
      }
      case 'task.waiting':
        if (final) return;
        view.status = 'waiting';
        view.waiting = { agent: e.agent, since: e.ts, reason: e.reason, message: e.message };
        return;
      case 'task.attempt': {
        // Recorded even after the end: a cancelled attempt may be logged after the task's cancel.
        const { agent, instance, status, error, durationMs } = e;
        view.attempts.push({ agent, instance, status, error: error ?? null, durationMs });
        return;
      }
      case 'task.planned':
        view.plan = { planner: e.planner, subtasks: e.subtasks };
        if (!final) view.status = 'running';
        return;
      case 'approval.requested':
        view.approvals.push({ id: e.approvalId, tool: e.tool, args: e.args, requestedAt: e.ts, verdict: null, by: null, note: null });
        if (final) return;
        view.status = 'awaiting-approval';
        view.approval = {
          id: e.approvalId, tool: e.tool, args: e.args, agent: e.agent, instance: e.instance, since: e.ts,
          deadline: new Date(Date.parse(e.ts) + e.timeoutMs).toISOString(),
        };
        return;
      case 'approval.decided': {
        const record = view.approvals.find((item) => item.id === e.approvalId);
        if (record) Object.assign(record, { verdict: e.verdict, by: e.by, note: e.note ?? null });
        if (final || view.approval?.id !== e.approvalId) return;
        view.status = 'running';
        view.approval = null;
        return;
      }
      case 'feedback':
        view.feedback.push({ rating: e.rating, note: e.note ?? null, ts: e.ts });
        return;
      default:
        break;
    }
    if (final) return; // the first terminal event is the task's fate
    switch (e.event) {
      case 'task.completed':
        view.status = 'completed';
        view.agent = e.agent;
        view.instance = e.instance;
        view.output = e.output;
        view.outputFile = e.outputFile ?? null;
        view.usage = e.usage ?? null;
        view.cost = e.cost ?? null;
        view.files = Array.isArray(e.files) ? e.files : [];
        view.durationMs = e.durationMs;
        break;
      case 'task.failed':
        view.status = e.reason === 'timeout' ? 'timeout' : 'failed';
        view.failure = e.reason;
        view.error = e.error;
        view.usage = e.usage ?? null;
        view.cost = e.cost ?? null;
        view.durationMs = e.durationMs;
        break;
      case 'task.cancelled':
        view.status = 'cancelled';
        view.durationMs = e.durationMs;
        break;
      case 'task.interrupted':
        // No duration: the event is written at the next start, so its time includes the downtime.
        view.status = 'interrupted';
        view.error = e.error;
        break;
    }
    view.finishedAt = e.ts;
    view.waiting = null;
    view.approval = null;
    this.open.delete(view.id);
    this.count(view);
  }

  get(id: string): TaskView | undefined {
    return this.tasks.get(id);
  }

  /** Newest submission first. */
  list(options: { status?: TaskStatus; limit?: number } = {}): TaskView[] {
    const limit = options.limit ?? Infinity;
    const out: TaskView[] = [];
    for (let i = this.order.length - 1; i >= 0 && out.length < limit; i -= 1) {
      const view = this.order[i]!;
      if (options.status === undefined || view.status === options.status) out.push(view);
    }
    return out;
  }

  /** Tasks with no terminal event, oldest first: what a restarted supervisor marks interrupted. */
  unfinished(): TaskView[] {
    return [...this.open].map((id) => this.tasks.get(id)!);
  }

  /** Finished tasks per agent of the final attempt; a timeout counts as failed. */
  counts(): Map<string, { completed: number; failed: number }> {
    return new Map([...this.perAgent].map(([agent, c]) => [agent, { ...c }]));
  }

  get size(): number {
    return this.tasks.size;
  }

  private count(view: TaskView): void {
    const ok = view.status === 'completed';
    if (view.agent === null || !(ok || view.status === 'failed' || view.status === 'timeout')) return;
    // A team's outcome is its subtasks', counted each for its own agent; plan and combine are the team's.
    if (view.team || view.role === 'plan' || view.role === 'combine') return;
    // A missing model endpoint or key is the fleet's configuration, not a failure of the agent.
    if (view.failure === 'config' || view.failure === 'budget') return;
    let c = this.perAgent.get(view.agent);
    if (!c) this.perAgent.set(view.agent, (c = { completed: 0, failed: 0 }));
    if (ok) c.completed += 1;
    else c.failed += 1;
  }
}

function newView(id: string, input: string, agent: string | null, ts: string): TaskView {
  return {
    id, status: 'submitted', input, requestedAgent: agent ?? null, agent: null, instance: null,
    output: null, outputFile: null, error: null, attempts: [], routed: [], usage: null, cost: null, files: [],
    submittedAt: ts, finishedAt: null, durationMs: null, feedback: [], waiting: null, approval: null, approvals: [], failure: null,
    team: false, teamReason: null, parentId: null, role: null, subtask: null, children: [], plan: null,
  };
}

/** Every task of the events, in submission order. */
export function deriveTasks(events: Iterable<LedgerEvent>): Map<string, TaskView> {
  const index = new TaskIndex(events);
  return new Map(index.list().reverse().map((view) => [view.id, view]));
}

function routingOf(view: TaskView): TaskResult['routing'] {
  const first = view.routed[0];
  return first ? { candidates: first.candidates, reason: first.reason, static: first.static, explored: first.explored, ...(first.decision ? { decision: first.decision } : {}) } : null;
}

/** `lookup` finds a team task's steps: with it, a team task's result carries its tree. */
export function toTaskResult(view: TaskView, lookup?: (id: string) => TaskView | undefined): TaskResult {
  const { id, agent, instance, status, input, output, error, attempts, durationMs, usage, files } = view;
  const { submittedAt, finishedAt } = view;
  const result: TaskResult = { id, agent, instance, status, input, output, error, attempts, durationMs, usage, files, submittedAt, finishedAt, routing: routingOf(view), waiting: view.waiting, failure: view.failure };
  if (view.approval !== null) result.approval = view.approval;
  if (view.approvals.length > 0) result.approvals = view.approvals;
  if (view.cost !== null) result.cost = view.cost;
  if (view.parentId !== null) Object.assign(result, { parentId: view.parentId, role: view.role, subtask: view.subtask });
  if (view.team) {
    result.team = true;
    if (view.teamReason !== null) result.teamReason = view.teamReason;
    const steps = lookup ? view.children.map(lookup).filter((child): child is TaskView => child !== undefined) : [];
    result.steps = steps.map((child) => ({
      id: child.id,
      role: child.role ?? 'subtask',
      subtask: child.subtask,
      dependsOn: view.plan?.subtasks.find((sub) => sub.id === child.subtask)?.dependsOn ?? [],
      input: child.input,
      status: child.status,
      agent: child.agent,
      output: child.output,
      error: child.error,
      durationMs: child.durationMs,
      usage: child.usage,
      cost: child.cost,
      files: child.files,
    }));
  }
  return result;
}

/**
 * The `limit` newest tasks (optionally of one status), newest first, as `deriveTasks` would show
 * them, without reading the whole ledger. The file is read backwards: a task's events all follow
 * its `task.submitted` line, so once that line is reached the task is complete and can be derived.
 * Submission lines are met newest first, which is the order wanted, so reading stops at the
 * `limit`-th match. (A task id submitted twice — never written by lightning — could differ from the
 * forward derivation, which keeps the first submission.)
 */
export function readRecentTasks(file: string, options: { limit: number; status?: TaskStatus }): TaskView[] {
  const out: TaskView[] = [];
  if (!(options.limit > 0)) return out;
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw err;
  }
  /** Tasks whose submission has been reached: complete, whatever precedes it is not theirs. */
  const done = new Set<string>();
  /** Events of tasks whose submission is not reached yet, newest first. */
  const waiting = new Map<string, LedgerEvent[]>();
  /** Returns true when enough tasks are known. */
  const take = (text: string): boolean => {
    const event = parseLine(text);
    if (!event || done.has(event.taskId)) return false; // before its submission: ignored forward too
    if (event.event !== 'task.submitted') {
      const list = waiting.get(event.taskId);
      if (list) list.push(event);
      else waiting.set(event.taskId, [event]);
      return false;
    }
    done.add(event.taskId);
    const later = waiting.get(event.taskId) ?? [];
    waiting.delete(event.taskId);
    // A throwaway index per task, so a filtered scan of a big ledger does not keep every task alive.
    const index = new TaskIndex([event]);
    for (let i = later.length - 1; i >= 0; i -= 1) index.apply(later[i]!);
    const view = index.get(event.taskId)!;
    if (options.status === undefined || view.status === options.status) out.push(view);
    return out.length >= options.limit;
  };
  try {
    let position = fs.fstatSync(fd).size;
    let blockSize = BACKWARD_FIRST_BLOCK;
    /** The start of the line that the previous (later) block began in the middle of. */
    let carry = Buffer.alloc(0);
    while (position > 0) {
      const size = Math.min(blockSize, position);
      position -= size;
      // Most calls need only the tail; growing blocks keep those cheap and full scans few-syscall.
      blockSize = Math.min(blockSize * 2, BACKWARD_MAX_BLOCK);
      const block = Buffer.allocUnsafe(size);
      let got = 0;
      while (got < size) {
        const n = fs.readSync(fd, block, got, size - got, position + got);
        if (n === 0) throw new Error(`ledger ${file} shrank while being read`);
        got += n;
      }
      const chunk = carry.length > 0 ? Buffer.concat([block, carry]) : block;
      const start = position > 0 ? chunk.indexOf(NL) : -1;
      if (position > 0 && start < 0) {
        carry = chunk;
        continue;
      }
      const lines = chunk.toString('utf8', start + 1).split('\n');
      carry = position > 0 ? chunk.subarray(0, start) : Buffer.alloc(0);
      // The file's last element is '' after a final newline, or the unterminated (maybe torn) line.
      for (let i = lines.length - 1; i >= 0; i -= 1) if (take(lines[i]!)) return out;
    }
  } finally {
    fs.closeSync(fd);
  }
  return out;
}
