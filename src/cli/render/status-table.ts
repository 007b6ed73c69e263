import type { InstanceStatus, StatusDocument } from '../../protocol/status.js';
import { formatDuration } from '../../util/format.js';
import { colorEnabled, paint, paintState } from './color.js';
import { renderTable } from './table.js';

/** The `lightning status` table: one row per instance. */
export function renderStatusTable(document: StatusDocument, options: { now?: number; load?: boolean } = {}): string {
  const now = options.now ?? Date.now();
  const head = ['AGENT', 'INST', 'STATE', 'PID', 'PORT', 'RESTARTS', 'UPTIME', 'LAST EXIT / REASON', 'NEXT RESTART'];
  if (options.load) head.push('IN FLIGHT', 'SUCCESS');
  const rows = document.agents.map((agent) => (options.load ? [...row(agent, now), ...load(agent)] : row(agent, now)));
  // On a terminal the reason column wraps to the window; in a pipe nothing wraps so grep sees whole lines.
  const table = renderTable(head, rows, { bold: colorEnabled(), wrapColumn: { index: 7, reserve: options.load ? 122 : 100 } });
  const header = `supervisor pid ${document.supervisor.pid} · ${document.supervisor.api} · ${document.supervisor.config}`;
  const alerts = (document.alerts ?? []).map((alert) => `${paint('ALERT', 'red')} ${alert.rule} ${alert.agent}: ${alert.message} (since ${alert.since})`);
  const waiting = new Map(document.agents.filter((agent) => (agent.waiting ?? 0) > 0).map((agent) => [agent.name, agent.waiting!]));
  const waits = [...waiting].map(([name, count]) => `${paint('WAITING', 'yellow')} ${count} task(s) wait for a healthy instance of ${name}`);
  const configError = document.configError ? ['', `${paint('CONFIG', 'red')} the last edit of agents.yaml was not applied: ${document.configError}`] : [];
  return [header, table, ...(waits.length ? ['', ...waits] : []), ...(alerts.length ? ['', ...alerts] : []), ...configError].join('\n');
}

function load(agent: InstanceStatus): string[] {
  const done = agent.tasks.completed + agent.tasks.failed;
  return [String(agent.inflight), done === 0 ? '-' : `${Math.round((agent.tasks.completed / done) * 100)}% of ${done}`];
}

function row(agent: InstanceStatus, now: number): string[] {
  const nextRestart = agent.nextRestartAt
    ? `in ${formatDuration(Math.max(0, Date.parse(agent.nextRestartAt) - now))}`
    : agent.leaseExpiresAt
      ? `lease ${formatDuration(Math.max(0, Date.parse(agent.leaseExpiresAt) - now))}`
      : '';
  return [
    agent.name,
    String(agent.instance),
    paintState(agent.state),
    // Agents running elsewhere have no pid of ours: say where they are instead.
    agent.pid !== null ? String(agent.pid) : agent.kind === 'local' ? '-' : agent.kind,
    agent.url ? agent.url.replace(/^https?:\/\//, '') : String(agent.port),
    String(agent.restarts),
    agent.uptimeMs === null ? '-' : formatDuration(agent.uptimeMs),
    agent.reason ?? agent.lastExit ?? '',
    nextRestart,
  ];
}
