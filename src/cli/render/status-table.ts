import type { InstanceStatus, StatusDocument } from '../../protocol/status.js';
import { formatDuration } from '../../util/format.js';
import { colorEnabled, paint, paintState } from './color.js';
import { renderTable } from './table.js';
import { shownArgs } from './approval.js';
import { outputColumns, truncate, visibleLength } from './fit.js';

const REASON = 7;
const NEXT_RESTART = 8;
/** The padding after each column (render/table.ts). */
const GAP = 2;

/**
 * The `lightning status` table: one row per instance. `columns` (default: the terminal's width,
 * null when stdout is not a terminal) fits it: the reason column is cut with "…" — whole in
 * `status --json` and `status NAME` — and on a narrow terminal the next restart joins the reason.
 */
export function renderStatusTable(document: StatusDocument, options: { now?: number; load?: boolean; columns?: number | null } = {}): string {
  const now = options.now ?? Date.now();
  const columns = options.columns === undefined ? outputColumns() : options.columns;
  let head = ['AGENT', 'INST', 'STATE', 'PID', 'PORT', 'RESTARTS', 'UPTIME', 'LAST EXIT / REASON', 'NEXT RESTART'];
  if (options.load) head.push('IN FLIGHT', 'SUCCESS');
  let rows = document.agents.map((agent) => (options.load ? [...row(agent, now), ...load(agent)] : row(agent, now)));
  if (columns !== null) ({ head, rows } = fit(head, rows, columns));
  const table = renderTable(head, rows, { bold: colorEnabled() });
  const fullHeader = `supervisor pid ${document.supervisor.pid} · ${document.supervisor.api} · ${document.supervisor.config}`;
  const header = columns === null ? fullHeader : truncate(fullHeader, columns);
  const alerts = (document.alerts ?? []).map((alert) => `${paint('ALERT', 'red')} ${alert.rule} ${alert.agent}: ${alert.message} (since ${alert.since})`);
  const waiting = new Map(document.agents.filter((agent) => (agent.waiting ?? 0) > 0).map((agent) => [agent.name, agent.waiting!]));
  const waits = [...waiting].map(([name, count]) => `${paint('WAITING', 'yellow')} ${count} task(s) wait for a healthy instance of ${name}`);
  const cooling = document.agents.flatMap((agent) =>
    (agent.cooling ?? []).map((entry) => `${paint('COOLING', 'yellow')} ${agent.name}#${agent.instance}: ${entry.provider} put aside after failures, tried again in ${formatDuration(Math.max(0, Date.parse(entry.until) - now))}`),
  ).map((line) => (columns === null ? line : truncate(line, columns)));
  const approvals = document.approvals ?? [];
  const approvalLines = approvals.length === 0 ? [] : [
    `${paint('APPROVAL', 'yellow')} ${approvals.length} task${approvals.length === 1 ? '' : 's'} awaiting approval:`,
    ...approvals.map((item) => `  ${item.taskId} ${item.tool} ${shownArgs(item.tool, item.args)} (${item.agent}#${item.instance}, denied in ${formatDuration(Math.max(0, Date.parse(item.deadline) - now))})`),
    `  lightning approve ID  ·  lightning deny ID --note "why"`,
  ].map((line) => (columns === null ? line : truncate(line, columns)));
  const configError = document.configError ? ['', `${paint('CONFIG', 'red')} the last edit of agents.yaml was not applied: ${document.configError}`] : [];
  return [header, table, ...(approvalLines.length ? ['', ...approvalLines] : []), ...(waits.length ? ['', ...waits] : []), ...(cooling.length ? ['', ...cooling] : []), ...(alerts.length ? ['', ...alerts] : []), ...configError].join('\n');
}

/** Fits the table to `columns`: the reason column takes what the others leave, cut with "…". */
function fit(head: string[], rows: string[][], columns: number): { head: string[]; rows: string[][] } {
  const widthOf = (h: string[], r: string[][], index: number) => Math.max(visibleLength(h[index]!), ...r.map((cells) => visibleLength(cells[index] ?? ''))) + GAP;
  const total = (h: string[], r: string[][]) => h.reduce((sum, _, index) => sum + widthOf(h, r, index), 0) - GAP;
  if (total(head, rows) <= columns) return { head, rows };
  // Narrow: the instance joins the agent's name (web_developer#0, as in every message), and the next
  // restart moves into the reason column ("restart in 2s · exited with code 1").
  const merged = rows.map((cells) => {
    const next = cells[NEXT_RESTART] ?? '';
    const reason = [next ? (next.startsWith('in ') ? `restart ${next}` : next) : '', cells[REASON] ?? ''].filter(Boolean).join(' · ');
    return [`${cells[0]}#${cells[1]}`, ...cells.slice(2, REASON), reason, ...cells.slice(NEXT_RESTART + 1)];
  });
  const reasonAt = REASON - 1;
  const mergedHead = ['AGENT', ...head.slice(2, REASON), 'REASON', ...head.slice(NEXT_RESTART + 1)];
  const others = mergedHead.reduce((sum, _, index) => (index === reasonAt ? sum : sum + widthOf(mergedHead, merged, index)), 0);
  // The reason column is not last when load columns follow it: it keeps its gap then.
  const reasonWidth = Math.max(visibleLength('REASON'), columns - others - (reasonAt === mergedHead.length - 1 ? 0 : GAP));
  return { head: mergedHead, rows: merged.map((cells) => cells.map((cell, index) => (index === reasonAt ? truncate(cell, reasonWidth) : cell))) };
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
