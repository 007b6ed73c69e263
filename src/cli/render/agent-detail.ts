import type { InstanceStatus } from '../../protocol/status.js';
import { formatDuration } from '../../util/format.js';
import { paintState } from './color.js';

/**
 * `lightning status NAME`: one agent in full — every instance's pid, port, restarts, last exit and
 * reason (never cut), health, load, and the skills the router matches on. Lines are not fitted:
 * this is where a long reason is read whole.
 */
export function renderAgentDetail(name: string, instances: readonly InstanceStatus[], now = Date.now()): string {
  const first = instances[0]!;
  const lines = [`${name} · ${instances.length} instance(s) · ${first.kind}${first.url ? ` at ${first.url}` : ''}`];
  for (const agent of instances) {
    lines.push('');
    lines.push(`instance ${agent.instance}  ${paintState(agent.state)}`);
    const field = (label: string, value: string | null | undefined) => {
      if (value !== null && value !== undefined && value !== '') lines.push(`  ${label.padEnd(13)} ${value}`);
    };
    field('pid', agent.pid === null ? '-' : String(agent.pid));
    field('port', agent.url ?? String(agent.port));
    field('uptime', agent.uptimeMs === null ? '-' : formatDuration(agent.uptimeMs));
    field('restarts', String(agent.restarts));
    field('last exit', agent.lastExit ?? 'none');
    field('reason', agent.reason);
    field('next restart', agent.nextRestartAt ? `in ${formatDuration(Math.max(0, Date.parse(agent.nextRestartAt) - now))} (${agent.nextRestartAt})` : null);
    field('lease until', agent.leaseExpiresAt);
    field('health', agent.healthLatencyMs === null ? (agent.state === 'healthy' ? 'ok' : 'no answer yet') : `answers /health in ${agent.healthLatencyMs} ms`);
    field('in flight', `${agent.inflight}${agent.capacity === null ? '' : ` of ${agent.capacity}`}`);
    for (const entry of agent.cooling ?? []) field('cooling', `${entry.provider} until ${entry.until} (put aside after failures)`);
    field('tasks', `${agent.tasks.completed} completed, ${agent.tasks.failed} failed${agent.waiting ? `, ${agent.waiting} waiting` : ''}`);
  }
  lines.push('');
  lines.push(`skills        ${first.capabilities.join(', ') || '(none)'}  (agents.yaml's capabilities and its agent card's skills)`);
  return lines.join('\n');
}
