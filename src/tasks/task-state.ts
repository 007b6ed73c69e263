import type { FailureReason } from '../protocol/events.js';
/** Why a task waits for an agent instead of running on it. */
export type WaitReason =
  /** Its instances are starting, unhealthy or in backoff: expected back. */
  | 'restarting'
  /** An attempt was lost because the worker died; waiting for it to be back (or another instance). */
  | 'instance-lost'
  /** Every healthy instance runs as many tasks as it takes: queued for a slot. */
  | 'busy';

/** Why a task left an agent for the next one in its failover order (recorded in `task.routed`). */
export type PassOverReason =
  /** The agent's instances gave up restarting. */
  | 'failed'
  /** The agent was stopped (by hand, or is stopping). */
  | 'stopped'
  /** The agent is no longer in the fleet (removed by a reload, or a joined agent left). */
  | 'gone'
  /** Each of its instances failed the task. */
  | 'exhausted'
  /** It stayed without a healthy instance longer than `task.queueTimeout`. */
  | 'queue-timeout';

/**
 * A task's life, each state carrying what is true in it. Only the task core moves a task between
 * states; the ledger records each move, so the derived view (`TaskView.status`) agrees.
 */
export type TaskState =
  | { name: 'queued'; since: number }
  | { name: 'waiting'; since: number; agent: string; why: WaitReason }
  | { name: 'running'; since: number; agent: string; instance: number; attempt: number }
  /**
   * A tool call of the running attempt waits for a person (`lightning approve|deny`). The task's
   * deadline is paused meanwhile; the approval timeout (`task.approvalTimeout`) denies it.
   */
  | {
      name: 'awaiting-approval'; since: number; agent: string; instance: number; attempt: number;
      approval: { id: string; tool: string; args: string; deadline: number };
    }
  /** A team task: its steps (plan, subtasks, combine) are tasks of their own. */
  | { name: 'team'; since: number; phase: 'planning' | 'running' | 'combining' }
  | { name: 'completed'; at: number; agent: string; instance: number }
  | { name: 'failed'; at: number; reason: FailureReason; error: string }
  | { name: 'cancelled'; at: number; by: 'user' | 'api' }
  | { name: 'interrupted'; at: number; error: string };

export type TerminalTaskState = Extract<TaskState, { name: 'completed' | 'failed' | 'cancelled' | 'interrupted' }>;

export function isTerminal(state: TaskState): state is TerminalTaskState {
  switch (state.name) {
    case 'queued':
    case 'waiting':
    case 'running':
    case 'awaiting-approval':
    case 'team':
      return false;
    case 'completed':
    case 'failed':
    case 'cancelled':
    case 'interrupted':
      return true;
    default:
      return unreachable(state);
  }
}

export function describeWait(why: WaitReason): string {
  switch (why) {
    case 'restarting':
      return 'no healthy instance: it is starting or restarting';
    case 'instance-lost':
      return 'its worker died mid-task: waiting for it to be back';
    case 'busy':
      return 'every instance is busy';
    default:
      return unreachable(why);
  }
}

export function describePassOver(agent: string, reason: PassOverReason, queueTimeoutMs: number): string {
  switch (reason) {
    case 'failed':
      return `${agent} is failed (gave up restarting)`;
    case 'stopped':
      return `${agent} is stopped`;
    case 'gone':
      return `${agent} is no longer in the fleet`;
    case 'exhausted':
      return `every instance of ${agent} failed the task`;
    case 'queue-timeout':
      return `${agent} had no healthy instance for ${queueTimeoutMs} ms (task.queueTimeout)`;
    default:
      return unreachable(reason);
  }
}

function unreachable(value: never): never {
  throw new Error(`unexpected task state ${JSON.stringify(value)}`);
}
