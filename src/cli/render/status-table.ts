import Table from 'cli-table3';
import type { InstanceStatus, StatusDocument } from '../../protocol/status.js';
import { formatDuration } from '../../util/format.js';
import { colorEnabled, paintState } from './color.js';

/** The `lightning status` table: one row per instance. */
export function renderStatusTable(document: StatusDocument, now = Date.now()): string {
  const plain = !colorEnabled();
  const table = new Table({
    head: ['AGENT', 'INST', 'STATE', 'PID', 'PORT', 'RESTARTS', 'UPTIME', 'LAST EXIT / REASON', 'NEXT RESTART'],
    style: plain ? { head: [], border: [] } : { head: ['bold'], border: ['gray'] },
    wordWrap: true,
    colWidths: [null, null, null, null, null, null, null, Math.max(24, (process.stdout.columns ?? 140) - 95), null],
  });
  for (const agent of document.agents) table.push(row(agent, now));
  const header = `supervisor pid ${document.supervisor.pid} · ${document.supervisor.api} · ${document.supervisor.config}`;
  return `${header}\n${table.toString()}`;
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
