import { loadConfig } from '../../config/load.js';
import { durationFlag } from '../duration-flag.js';
import { deriveTasks, readEvents } from '../../ledger/reader.js';
import { ApiClient } from '../../api/client.js';
import { computeSpend, computeStats } from '../../ledger/stats.js';
import type { SpendRow, StatsRow } from '../../ledger/stats.js';
import type { StatePaths } from '../../state/home.js';
import { profileFromConfig } from '../../router/match.js';
import { REPLAY_TASKS, TaskRouter, replayWindow } from '../../router/router.js';
import { describeRecord } from '../../router/policy.js';
import { formatDuration } from '../../util/format.js';
import type { GlobalOptions } from '../context.js';
import { findRunningSupervisor, resolveContext } from '../context.js';
import { EXIT, ExitError } from '../exit-error.js';
import { renderTable } from '../render/table.js';

export interface StatsOptions extends GlobalOptions {
  since?: string;
  json?: boolean;
}

/**
 * `lightning stats`: from the running supervisor, whose task index already holds the whole ledger;
 * with none running, read straight from the ledger (seconds for a ledger of 100,000 tasks).
 */
export async function statsCommand(options: StatsOptions): Promise<void> {
  const sinceMs = options.since === undefined ? null : durationFlag('--since', options.since, { positive: true, example: '1h' });
  const { configPath, paths } = resolveContext(options);
  const { rows, spend } = (await fromSupervisor(paths, sinceMs)) ?? fromLedger(configPath, paths.ledger, sinceMs);
  if (options.json) {
    process.stdout.write(JSON.stringify({ since: sinceMs === null ? null : new Date(Date.now() - sinceMs).toISOString(), rows, spend }, null, 2) + '\n');
    return;
  }
  if (rows.length === 0 && spend.length === 0) {
    process.stderr.write(`no finished tasks${options.since ? ` in the last ${options.since}` : ''} in ${paths.ledger}\n`);
    return;
  }
  const percent = (value: number | null) => (value === null ? '-' : `${Math.round(value * 100)}%`);
  const table = renderTable(
    ['KIND', 'AGENT', 'TASKS', 'SUCCESS', 'LEARNED SUCCESS', 'P50', 'P95', 'SHARE', 'TOKENS', 'COST'],
    rows.map((row) => [
      row.kind,
      row.agent,
      String(row.tasks),
      percent(row.successRate),
      row.learned ? describeRecord(row.learned.estimate, row.learned.evidence) : '-',
      row.p50Ms === null ? '-' : formatDuration(row.p50Ms),
      row.p95Ms === null ? '-' : formatDuration(row.p95Ms),
      percent(row.share),
      String(row.tokens ?? 0),
      row.cost === null || row.cost === undefined ? '-' : `$${row.cost.toFixed(4)}`,
    ]),
  );
  process.stdout.write(
    `${table}\n\nKIND groups tasks by their strongest capability word; SUCCESS is the share of its tasks the agent finished; LEARNED SUCCESS is\n` +
      "what the router has learned about the agent on the kind's latest task (as `lightning route` shows it); SHARE is the agent's part of that kind's tasks;\n" +
      'TOKENS and COST are what they spent (COST from agents.yaml `prices:`).\n',
  );
  if (spend.length > 0) process.stdout.write(`\n${renderSpend(spend)}\n`);
}

/** Where the tokens and money went: every task that spent any, team steps and budget failures included. */
function renderSpend(spend: SpendRow[]): string {
  const money = (cost: number | null) => (cost === null ? '-' : `$${cost.toFixed(4)}`);
  const total: SpendRow = { agent: 'total', tasks: 0, tokens: 0, cost: null };
  for (const row of spend) {
    total.tasks += row.tasks;
    total.tokens += row.tokens;
    if (row.cost !== null) total.cost = (total.cost ?? 0) + row.cost;
  }
  const table = renderTable(
    ['SPENT BY', 'TASKS', 'TOKENS', 'COST'],
    [...spend, total].map((row) => [row.agent, String(row.tasks), String(row.tokens), money(row.cost)]),
  );
  return `${table}\n\nSPENT BY counts every task that used tokens — team steps (plan, subtasks, combine) and tasks that ran out of budget too; a team task counts in its steps.`;
}

interface StatsDocument {
  rows: StatsRow[];
  spend: SpendRow[];
}

async function fromSupervisor(paths: StatePaths, sinceMs: number | null): Promise<StatsDocument | null> {
  const info = await findRunningSupervisor(paths);
  if (!info) return null;
  const response = await new ApiClient(info).stats(sinceMs);
  // A supervisor still loading its ledger (503) or an older one without the route (or without
  // `spend`): read the file.
  return response.status === 200 && response.body.rows && response.body.spend ? { rows: response.body.rows, spend: response.body.spend } : null;
}

function fromLedger(configPath: string, ledger: string, sinceMs: number | null): StatsDocument {
  const config = loadConfig(configPath);
  const profiles = config.agents.map(profileFromConfig);
  const router = new TaskRouter(() => ({ version: 0, profiles }), config.routing.learn);
  const events = readEvents(ledger);
  for (const event of replayWindow(events, REPLAY_TASKS)) router.learnFrom(event);
  const learned = config.routing.learn ? (input: string, agent: string) => router.recordOf(input, agent) : null;
  const tasks = deriveTasks(events);
  const since = sinceMs === null ? null : Date.now() - sinceMs;
  return { rows: computeStats(tasks.values(), (input) => router.kindOf(input), since, learned), spend: computeSpend(tasks.values(), since) };
}
