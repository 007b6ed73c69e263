import { loadConfig } from '../../config/load.js';
import { parseDuration } from '../../config/duration.js';
import { deriveTasks, readEvents } from '../../ledger/reader.js';
import { computeStats } from '../../ledger/stats.js';
import { profileFromConfig } from '../../router/match.js';
import { TaskRouter } from '../../router/router.js';
import { formatDuration } from '../../util/format.js';
import type { GlobalOptions } from '../context.js';
import { resolveContext } from '../context.js';
import { EXIT, ExitError } from '../exit-error.js';
import { renderTable } from '../render/table.js';

export interface StatsOptions extends GlobalOptions {
  since?: string;
  json?: boolean;
}

/** `lightning stats`: read straight from the ledger, so it works with or without a supervisor. */
export async function statsCommand(options: StatsOptions): Promise<void> {
  const sinceMs = options.since === undefined ? null : parseDuration(options.since);
  if (sinceMs === null && options.since !== undefined) throw new ExitError(`bad --since "${options.since}": use a duration like 1h or 30m`, EXIT.usage);
  const { configPath, paths } = resolveContext(options);
  const config = loadConfig(configPath);
  const profiles = config.agents.map(profileFromConfig);
  const router = new TaskRouter(() => ({ version: 0, profiles }), false);
  const kinds = new Map<string, string>();
  const kindOf = (input: string) => {
    let kind = kinds.get(input);
    if (kind === undefined) kinds.set(input, (kind = router.kindOf(input)));
    return kind;
  };
  const rows = computeStats(deriveTasks(readEvents(paths.ledger)).values(), kindOf, sinceMs === null ? null : Date.now() - sinceMs);
  if (options.json) {
    process.stdout.write(JSON.stringify({ since: sinceMs === null ? null : new Date(Date.now() - sinceMs).toISOString(), rows }, null, 2) + '\n');
    return;
  }
  if (rows.length === 0) {
    process.stderr.write(`no finished tasks${options.since ? ` in the last ${options.since}` : ''} in ${paths.ledger}\n`);
    return;
  }
  const percent = (value: number | null) => (value === null ? '-' : `${Math.round(value * 100)}%`);
  const table = renderTable(
    ['KIND', 'AGENT', 'TASKS', 'SUCCESS', 'P50', 'P95', 'SHARE'],
    rows.map((row) => [row.kind, row.agent, String(row.tasks), percent(row.successRate), row.p50Ms === null ? '-' : formatDuration(row.p50Ms), row.p95Ms === null ? '-' : formatDuration(row.p95Ms), percent(row.share)]),
  );
  process.stdout.write(`${table}\n\nKIND groups tasks by their strongest capability word; SHARE is the agent's part of that kind's tasks.\n`);
}
