import type { TaskSettings } from '../config/types.js';
import type { ApprovalDecisionMessage, ModelPrice, WorkerOutcome } from '../protocol/task.js';
import type { AgentProfile } from '../router/match.js';
import type { AttemptRequest } from '../router/worker-client.js';

/**
 * Whether an instance can take a task, as the task core needs to know it: `healthy` takes tasks
 * now; `recovering` (starting, unhealthy, in backoff, a remote agent unreachable for now) is
 * expected back and worth waiting for; `failed` (gave up) and `stopped` (stopping, or stopped by
 * hand) will not come back by themselves, so a task passes them over at once.
 */
export type Availability = 'healthy' | 'recovering' | 'failed' | 'stopped';

/** One instance as the task core sees it. */
export interface RoutableInstance {
  /** `agent#index` */
  id: string;
  agent: string;
  index: number;
  availability: Availability;
  /**
   * Changes each time the instance turns healthy. An attempt lost to a dying worker skips the
   * instance until its epoch moves on (it was restarted), so a task never retries on a corpse
   * the health probes have not noticed yet.
   */
  epoch: number;
  capacity: number;
}

/** Runs one attempt on one instance: the A2A client in production, a fake in unit tests. */
export interface AttemptClient {
  /** Rejects with an AttemptError when no outcome could be had (refused, unreachable, broken answer). */
  run(request: AttemptRequest): Promise<WorkerOutcome>;
  /** Best effort: the attempt's own stream ends with the cancelled outcome. */
  cancel(remoteTaskId: string): Promise<void>;
  /** A decision on a tool call waiting for approval, to the worker; false when it did not take it. */
  decide(remoteTaskId: string, decision: ApprovalDecisionMessage): Promise<boolean>;
}

/** What the task core needs of the fleet, and nothing more. */
export interface FleetView {
  instances(): RoutableInstance[];
  agentNames(): string[];
  /** The price of the agent's model (agents.yaml `prices:`); null without one. */
  priceOf(agent: string): ModelPrice | null;
  /** The agent that plans team tasks and combines their results; null when there is none. */
  planner(): string | null;
  /** Capability profiles (agent cards merged with agents.yaml); `version` changes when they do. */
  profiles(): { version: number; profiles: AgentProfile[] };
  taskSettings(agent: string | null): TaskSettings;
  client(instance: RoutableInstance): AttemptClient;
  /**
   * Whether an attempt on this instance streams even when nobody follows the task: anything but
   * the built-in worker (cancelling a foreign agent's task needs the id its stream gives first),
   * an agent whose tool calls may wait for a person (the worker asks through a progress event),
   * or one with several model routes (its provider failovers are progress events the metrics count).
   */
  attemptsStream(instance: RoutableInstance): boolean;
  /** Called on any instance state change; returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
}
