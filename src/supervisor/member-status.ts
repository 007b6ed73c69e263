import type { InstanceStatus } from '../protocol/status.js';
import type { FleetMember } from './fleet-member.js';

/** One member's row of the status document (`status --json`, `GET /v1/agents`). */
export function memberStatus(member: FleetMember, leaseExpiresAt: number | null, now = Date.now()): InstanceStatus {
  const nextRestartAt = member.nextRestartAt;
  // As of the last probe (at most health.interval ago): close enough for a cooldown of seconds.
  const cooling = (member.health?.cooling ?? [])
    .filter((entry) => typeof entry?.provider === 'string' && typeof entry.retryInMs === 'number' && entry.retryInMs > 0)
    .slice(0, 8)
    .map((entry) => ({ provider: entry.provider.slice(0, 200), until: new Date(now + entry.retryInMs).toISOString() }));
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
    ...(cooling.length > 0 ? { cooling } : {}),
  };
}
