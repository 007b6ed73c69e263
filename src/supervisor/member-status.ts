import type { InstanceStatus } from '../protocol/status.js';
import type { FleetMember } from './fleet-member.js';

/** One member's row of the status document (`status --json`, `GET /v1/agents`). */
export function memberStatus(member: FleetMember, leaseExpiresAt: number | null): InstanceStatus {
  const nextRestartAt = member.nextRestartAt;
  return {
    name: member.spec.agent.name,
    instance: member.spec.index,
    kind: member.kind,
    url: member.kind === 'local' ? null : member.baseUrl,
    leaseExpiresAt: leaseExpiresAt === null ? null : new Date(leaseExpiresAt).toISOString(),
    pid: member.pid,
    port: member.port,
    state: member.state.name,
    restarts: member.restarts,
    lastExit: member.lastExit,
    reason: member.reason,
    nextRestartAt: nextRestartAt === null ? null : new Date(nextRestartAt).toISOString(),
    uptimeMs: member.uptimeMs,
    inflight: member.health?.inflight ?? 0,
    capacity: member.health?.capacity ?? member.spec.agent.capacity,
    healthLatencyMs: member.healthLatencyMs === null ? null : Math.round(member.healthLatencyMs * 100) / 100,
    capabilities: member.spec.agent.capabilities,
    tasks: { completed: 0, failed: 0 },
  };
}
