import type { InstanceSpec } from '../config/types.js';
import type { HealthBody } from './health-prober.js';
import type { StateName } from './instance-state.js';

/**
 * Where a member of the fleet comes from: `local` processes lightning spawns and restarts;
 * `remote` agents named by `url:` in agents.yaml; `registered` agents that announced themselves
 * (`POST /v1/agents/register`) and stay while their lease is renewed. Only local ones have a pid.
 */
export type MemberKind = 'local' | 'remote' | 'registered';

/** Every state a member can be in: an instance's life, plus `unreachable` for the others. */
export type MemberStateName = StateName | 'unreachable';

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

/** What the supervisor, the router, status and metrics need of any member, local or not. */
export interface FleetMember {
  /** `agent#index` */
  readonly id: string;
  readonly kind: MemberKind;
  readonly spec: InstanceSpec;
  readonly state: { readonly name: MemberStateName; readonly since: number };
  /** Where its HTTP endpoints are: `http://127.0.0.1:<port>` for local instances. */
  readonly baseUrl: string;
  readonly port: number;
  readonly pid: number | null;
  readonly restarts: number;
  readonly lastExit: string | null;
  /** Why it is failed, unhealthy or unreachable; null otherwise. */
  readonly reason: string | null;
  readonly nextRestartAt: number | null;
  readonly uptimeMs: number | null;
  readonly health: HealthBody | null;
  readonly healthLatencyMs: number | null;
  /** Healthy, or in a state it will not leave by itself (so waiting for it is pointless). */
  readonly settled: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  forceKill(): void;
}

/** States in which a member takes no tasks now but is expected back soon (worth a short wait). */
export function isRecovering(name: MemberStateName): boolean {
  return name === 'starting' || name === 'unhealthy' || name === 'backoff';
}
