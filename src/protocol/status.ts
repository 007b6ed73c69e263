import type { PendingApproval } from './task.js';
/**
 * Where a member of the fleet comes from: `local` processes lightning spawns and restarts;
 * `remote` agents named by `url:` in agents.yaml; `registered` agents that announced themselves
 * (`POST /v1/agents/register`) and stay while their lease is renewed. Only local ones have a pid.
 */
export type MemberKind = 'local' | 'remote' | 'registered';

/** Every state a member can be in: a local instance's life, plus `unreachable` for the others. */
export type MemberStateName = 'starting' | 'healthy' | 'unhealthy' | 'backoff' | 'failed' | 'stopping' | 'stopped' | 'unreachable';

export const MEMBER_STATE_NAMES: readonly MemberStateName[] = [
  'starting',
  'healthy',
  'unhealthy',
  'backoff',
  'failed',
  'stopping',
  'stopped',
  'unreachable',
];

/**
 * A model route (provider + model) an instance has put aside after failures, as its /health
 * reports it: `provider` is "<model> at <endpoint>", `retryInMs` how long until it is tried again.
 */
export interface ProviderCooling {
  provider: string;
  retryInMs: number;
}

/** `lightning status --json` and `GET /v1/agents`: one document, one shape. */
export interface StatusDocument {
  supervisor: {
    pid: number;
    api: string;
    config: string;
    startedAt: string;
  };
  agents: InstanceStatus[];
  /** Why the last edit of agents.yaml was not applied (file:line:col), or null. */
  configError?: string | null;
  /** Alert rules firing now. */
  alerts?: Array<{ rule: string; agent: string; message: string; since: string }>;
  /** Tool calls waiting for a person's approval now (`lightning approve|deny TASK`), oldest first. */
  approvals?: Array<PendingApproval & { taskId: string }>;
}

export interface InstanceStatus {
  name: string;
  instance: number;
  /** `local`: spawned and restarted by lightning; `remote`: `url:` in agents.yaml; `registered`: joined by itself. */
  kind: MemberKind;
  /** Where a remote or registered agent is reached; null for local instances. */
  url: string | null;
  /** When a registered agent's lease runs out unless it renews it; null otherwise. */
  leaseExpiresAt: string | null;
  pid: number | null;
  port: number;
  state: MemberStateName;
  restarts: number;
  /** How the previous process ended, e.g. "exited with code 1", "killed by SIGKILL". */
  lastExit: string | null;
  /** Why the instance is failed or unhealthy; null otherwise. */
  reason: string | null;
  nextRestartAt: string | null;
  uptimeMs: number | null;
  inflight: number;
  capacity: number | null;
  healthLatencyMs: number | null;
  capabilities: string[];
  tasks: { completed: number; failed: number };
  /** Tasks waiting for this agent to have a healthy instance (the same count on each of its rows). */
  waiting?: number;
  /** Model providers this instance has put aside after failures, and until when; absent when none. */
  cooling?: Array<{ provider: string; until: string }>;
}
