import Table from 'cli-table3';
import type { InstanceStatus, StatusDocument } from '../../protocol/status.js';
import { formatDuration } from '../../util/format.js';
import { colorEnabled, paintState } from './color.js';

/** The `lightning status` table: one row per instance. */
export function renderStatusTable(document: StatusDocument, now = Date.now()): string {
  const plain = !colorEnabled();
  // Borderless columns like `kubectl get` / `docker compose ps`; on a terminal the reason column
  // wraps to the window, in a pipe nothing wraps so grep sees whole lines.
  const width = process.stdout.isTTY ? process.stdout.columns : undefined;
  const table = new Table({
    head: ['AGENT', 'INST', 'STATE', 'PID', 'PORT', 'RESTARTS', 'UPTIME', 'LAST EXIT / REASON', 'NEXT RESTART'],
    chars: BORDERLESS,
    style: { head: plain ? [] : ['bold'], border: [], 'padding-left': 0, 'padding-right': 2 },
    ...(width ? { wordWrap: true, colWidths: [null, null, null, null, null, null, null, Math.max(24, width - 100), null] } : {}),
  });
  for (const agent of document.agents) table.push(row(agent, now));
  const header = `supervisor pid ${document.supervisor.pid} · ${document.supervisor.api} · ${document.supervisor.config}`;
  const lines = table.toString().split('\n').map((line) => line.trimEnd());
  return [header, ...lines].join('\n');
}

const BORDERLESS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '',
};

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
