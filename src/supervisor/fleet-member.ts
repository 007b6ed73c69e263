import type { InstanceSpec } from '../config/types.js';
import type { HealthBody } from './health-prober.js';
import type { MemberKind, MemberStateName } from '../protocol/status.js';
import type { StateName } from './instance-state.js';

// The kinds and states of members are part of the status document (protocol/), defined there.
export { MEMBER_STATE_NAMES } from '../protocol/status.js';
export type { MemberKind, MemberStateName } from '../protocol/status.js';

/** An instance's states are all member states: this fails to compile if one is added only there. */
export type InstanceStatesAreMemberStates = StateName extends MemberStateName ? true : never;
const instanceStatesCovered: InstanceStatesAreMemberStates = true;
void instanceStatesCovered;

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
