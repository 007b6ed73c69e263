import { loadConfig } from '../../config/load.js';
import { parseDuration } from '../../config/duration.js';
import { readEvents } from '../../ledger/reader.js';
import { profileFromConfig } from '../../router/match.js';
import { REPLAY_POLICIES, replayLedger } from '../../router/replay.js';
import type { PolicyEstimate, ReplayPolicy, ReplayReport } from '../../router/replay.js';
import type { GlobalOptions } from '../context.js';
import { resolveContext } from '../context.js';
import { EXIT, ExitError } from '../exit-error.js';
import { renderTable } from '../render/table.js';

export interface ReplayOptions extends GlobalOptions {
  json?: boolean;
  since?: string;
  policy?: string;
  agent?: string;
}

const DAY_MS = 86_400_000;

/**
 * `lightning route --replay`: for the ledger's past tasks, what the current policy (and the named
 * variants) would have chosen, how often that differs from what was logged, and each policy's
 * success rate estimated off-policy (src/router/replay.ts). Reads the ledger and agents.yaml
 * only: it works the same with or without a supervisor, and changes nothing.
 */
export async function replayCommand(task: string | undefined, options: ReplayOptions): Promise<void> {
  if (task !== undefined) throw new ExitError('--replay takes no task text: lightning route --replay [--since 7d] [--policy current,static]', EXIT.usage);
  if (options.agent !== undefined) throw new ExitError('--replay and --agent do not go together: forced tasks are not replayed', EXIT.usage);
  const policies = parsePolicies(options.policy ?? 'current,static');
  const sinceMs = options.since === undefined ? null : parseSince(options.since);
  const { configPath, paths } = resolveContext(options);
  const config = loadConfig(configPath);
  const report = replayLedger(readEvents(paths.ledger), config.agents.map(profileFromConfig), {
    policies,
    learn: config.routing.learn,
    since: sinceMs === null ? null : Date.now() - sinceMs,
  });
  if (options.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return;
  }
  if (report.decisions === 0) {
    process.stderr.write(`no routed task to replay${options.since ? ` in the last ${options.since}` : ''} in ${paths.ledger}\n`);
    return;
  }
  process.stdout.write(renderReplay(report) + '\n');
}

export function renderReplay(report: ReplayReport): string {
  const percent = (value: number | null): string => (value === null ? '-' : `${Math.round(value * 100)} %`);
  const rows = report.policies.map((estimate: PolicyEstimate) => [
    estimate.policy === 'logged' ? 'logged (what ran)' : estimate.policy,
    estimate.policy === 'logged' ? '-' : `${percent(estimate.differs / report.decisions)} (${estimate.differs})`,
    String(estimate.evaluated),
    estimate.success === null ? '-' : `${percent(estimate.success)} (${percent(estimate.low)}–${percent(estimate.high)})`,
  ]);
  const lines = [
    `replayed ${report.decisions} routing decision(s)${report.since ? ` since ${report.since}` : ''}`,
    '',
    renderTable(['POLICY', 'DIFFERS FROM LOGGED', 'EVALUATED', 'SUCCESS (95 % CI)'], rows),
  ];
  if (report.differing.length > 0) {
    lines.push('', 'latest tasks where a policy chooses differently:');
    for (const decision of report.differing) {
      const others = Object.entries(decision.choices).map(([policy, agent]) => `${policy} → ${agent}`).join(', ');
      const input = decision.input.length > 60 ? `${decision.input.slice(0, 59)}…` : decision.input;
      lines.push(`  ${decision.taskId.slice(0, 8)}  logged ${decision.logged}; ${others}  ${JSON.stringify(input)}`);
    }
  }
  lines.push('', `SUCCESS is each policy's first-attempt success rate, estimated by ${report.estimator}.`);
  lines.push('EVALUATED counts the decisions whose choice was actually tried, the only ones the estimate can use (docs/routing.md).');
  return lines.join('\n');
}

function parsePolicies(list: string): ReplayPolicy[] {
  const names = list.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !(REPLAY_POLICIES as readonly string[]).includes(name));
  if (names.length === 0 || unknown.length > 0) {
    throw new ExitError(`unknown policy "${unknown.join(', ') || list}" for --policy; known: ${REPLAY_POLICIES.join(', ')} (comma-separated)`, EXIT.usage);
  }
  return [...new Set(names)] as ReplayPolicy[];
}

/** `7d` (days, the natural unit for a ledger window) or any duration agents.yaml accepts. */
function parseSince(value: string): number {
  const days = /^(\d+(?:\.\d+)?)\s*d$/.exec(value.trim());
  const ms = days ? Math.round(Number(days[1]) * DAY_MS) : /^\d+(?:\.\d+)?$/.test(value.trim()) ? null : parseDuration(value);
  if (ms === null || ms <= 0) throw new ExitError(`bad --since "${value}": use a duration with a unit, like 7d, 12h or 30m`, EXIT.usage);
  return ms;
}
