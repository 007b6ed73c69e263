import { ApiClient } from '../../api/client.js';
import { loadConfig } from '../../config/load.js';
import { readEvents } from '../../ledger/reader.js';
import { profileFromConfig } from '../../router/match.js';
import { describeRecord } from '../../router/policy.js';
import { REPLAY_TASKS, replayWindow, TaskRouter } from '../../router/router.js';
import type { RouteDecision } from '../../router/router.js';
import type { TeamProposal } from '../../router/team-proposal.js';
import type { GlobalOptions } from '../context.js';
import { findRunningSupervisor, resolveContext } from '../context.js';
import { EXIT, ExitError } from '../exit-error.js';
import { paint } from '../render/color.js';
import { renderTable } from '../render/table.js';

export interface RouteOptions extends GlobalOptions {
  json?: boolean;
  agent?: string;
}

/**
 * `lightning route "task"`: where the task would go and why — match scores, learned success
 * estimates with the evidence behind them, the pick — without running anything. Asks the running
 * supervisor (which knows the agents' cards); with none, works the same from agents.yaml and the
 * ledger.
 */
export async function routeCommand(input: string, options: RouteOptions): Promise<void> {
  if (input.trim() === '') throw new ExitError('the task is empty: lightning route "what the agent should do"', EXIT.usage);
  const { configPath, paths } = resolveContext(options);
  const info = await findRunningSupervisor(paths);
  let decision: RouteDecision;
  if (info) {
    const response = await new ApiClient(info).route(input, options.agent);
    if (response.status !== 200) throw new ExitError(response.body.message ?? `HTTP ${response.status}`, EXIT.usage);
    decision = response.body;
  } else {
    const config = loadConfig(configPath);
    if (options.agent && !config.agents.some((agent) => agent.name === options.agent)) {
      throw new ExitError(`unknown agent "${options.agent}"; known agents: ${config.agents.map((agent) => agent.name).join(', ')}`, EXIT.usage);
    }
    const profiles = config.agents.map(profileFromConfig);
    const planner = config.planner ?? config.agents.find((agent) => agent.fallback)?.name ?? null;
    const router = new TaskRouter(() => ({ version: 0, profiles }), config.routing.learn, { enabled: () => config.routing.autoTeam, planner: () => planner });
    for (const event of replayWindow(readEvents(paths.ledger), REPLAY_TASKS)) router.learnFrom(event);
    decision = router.route(input, options.agent);
  }
  if (options.json) {
    process.stdout.write(JSON.stringify(decision, null, 2) + '\n');
    return;
  }
  process.stdout.write(explain(input, decision) + '\n');
}

/** Whether the task would run as a team, and why, with the clauses that decided it. */
function explainTeam(team: TeamProposal): string[] {
  if (!team.team) return [`team: no — would not run as a team because ${team.reason}.`];
  return [
    `team: ${paint('yes', 'bold')} — would run as a team (planned into subtasks) because it spans ${new Set(team.groups.map((group) => group.agent)).size} specialists and none covers it all:`,
    ...team.groups.map((group) => `  "${group.clause}" → ${group.agent} (${group.matched.join(', ')}; match ${group.score.toFixed(2)})`),
    '`run --no-team` sends it to the pick above instead; `routing: { autoTeam: false }` in agents.yaml turns automatic teaming off.',
  ];
}

/** Written for someone who has never read the code: what was weighed, what won, and why. */
export function explain(input: string, decision: RouteDecision): string {
  // Rows in decision order (the order failover would try them); numbers as describeRecord says them.
  const rows = decision.candidates.map((candidate) => [
    candidate.agent === decision.pick ? paint('→', 'green') : ' ',
    candidate.agent,
    candidate.score.toFixed(2),
    describeRecord(candidate.estimate, candidate.evidence),
    candidate.value === null || candidate.value === undefined ? '-' : candidate.value.toFixed(2),
  ]);
  const table = renderTable(['', 'AGENT', 'MATCH', 'LEARNED SUCCESS', 'VALUE'], rows);
  const lines = [
    `task: ${JSON.stringify(input.length > 100 ? `${input.slice(0, 99)}…` : input)}`,
    `kind: ${decision.kind}`,
    '',
    table,
    '',
    `${decision.team?.team ? 'pick without a team (--no-team)' : 'pick'}: ${paint(decision.pick, 'bold')} (${decision.decision ?? (decision.explored ? 'explore' : 'exploit')}) — ${decision.reason}`,
    decision.static === decision.pick ? 'static capability matching agrees.' : `static capability matching alone would pick ${decision.static}.`,
  ];
  if (decision.team) lines.push('', ...explainTeam(decision.team));
  lines.push('', "MATCH is how well the task's words fit the agent's skills (0–1, rare words count more); LEARNED SUCCESS is how");
  lines.push('often the agent finished similar tasks well (outcomes and feedback, recent ones weigh more), over how many; VALUE');
  lines.push('is what the router compares: learned success plus credit for the match (and trust in the best match).');
  return lines.join('\n');
}
