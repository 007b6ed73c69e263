import type { InstanceStatus, StatusDocument } from '../../protocol/status.js';
import { formatDuration } from '../../util/format.js';
import { colorEnabled, paintState } from './color.js';
import { renderTable } from './table.js';

/** The `lightning status` table: one row per instance. */
export function renderStatusTable(document: StatusDocument, now = Date.now()): string {
  const head = ['AGENT', 'INST', 'STATE', 'PID', 'PORT', 'RESTARTS', 'UPTIME', 'LAST EXIT / REASON', 'NEXT RESTART'];
  // On a terminal the reason column wraps to the window; in a pipe nothing wraps so grep sees whole lines.
  const table = renderTable(head, document.agents.map((agent) => row(agent, now)), { bold: colorEnabled(), wrapColumn: { index: 7, reserve: 100 } });
  const header = `supervisor pid ${document.supervisor.pid} · ${document.supervisor.api} · ${document.supervisor.config}`;
  return `${header}\n${table}`;
}

function row(agent: InstanceStatus, now: number): string[] {
  const nextRestart = agent.nextRestartAt ? `in ${formatDuration(Math.max(0, Date.parse(agent.nextRestartAt) - now))}` : '';
  return [
    agent.name,
    String(agent.instance),
    paintState(agent.state),
    agent.pid === null ? '-' : String(agent.pid),
    String(agent.port),
    String(agent.restarts),
    agent.uptimeMs === null ? '-' : formatDuration(agent.uptimeMs),
    agent.reason ?? agent.lastExit ?? '',
    nextRestart,
  ];
}
