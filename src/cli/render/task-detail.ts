import type { TaskResult } from '../../protocol/task.js';
import { describeRecord } from '../../router/policy.js';
import { formatDuration } from '../../util/format.js';
import { shownArgs } from './approval.js';
import { agentColumn, oneLine, paintStatus } from './task-view.js';

// Apart from the list (task-view.ts): `lightning tasks` does not load the router's wording of
// learned rates, which only this page shows.

/** `lightning task ID`: everything the ledger knows of one task. */
export function renderTaskDetail(task: TaskResult, workspace: string): string {
  const lines = [
    `task      ${task.id}`,
    `status    ${paintStatus(task.status)}`,
    `agent     ${agentColumn(task)}`,
    ...(task.waiting ? [`waiting   for ${task.waiting.agent} since ${task.waiting.since}: ${task.waiting.message}`] : []),
    ...(task.approval
      ? [`awaiting  approval of ${task.approval.tool} ${shownArgs(task.approval.tool, task.approval.args)} since ${task.approval.since} (denied at ${task.approval.deadline}):`,
        `          lightning approve ${task.id}  ·  lightning deny ${task.id} --note "why"`]
      : []),
    ...(task.approvals ?? []).filter((item) => item.verdict !== null).map((item) =>
      `approval  ${item.tool} ${shownArgs(item.tool, item.args)}: ${item.verdict === 'timeout' ? 'denied (no decision in time)' : `${item.verdict} (${item.by})`}${item.note && item.verdict !== 'timeout' ? ` — ${item.note}` : ''}`),
    `submitted ${task.submittedAt}`,
    `finished  ${task.finishedAt ?? '-'}`,
    `duration  ${task.durationMs === null ? '-' : formatDuration(task.durationMs)}`,
    `usage     ${task.usage ? `${task.usage.promptTokens} prompt + ${task.usage.completionTokens} completion = ${task.usage.totalTokens} tokens` : '-'}${typeof task.cost === 'number' ? ` · $${task.cost.toFixed(4)}` : ''}`,
    '',
    'input:',
    indent(task.input),
  ];
  if (task.routing) {
    lines.push('', 'routing:');
    for (const candidate of task.routing.candidates) {
      const learned = candidate.estimate === null || candidate.estimate === undefined ? '' : `  learned ${describeRecord(candidate.estimate, candidate.evidence)}`;
      lines.push(`  ${candidate.agent.padEnd(20)} match ${candidate.score.toFixed(2)}${learned}`);
    }
    lines.push(`  why${task.routing.decision ? ` (${task.routing.decision})` : ''}: ${task.routing.reason}`);
    if (task.routing.static && task.routing.static !== task.agent) lines.push(`  static matching alone would have picked ${task.routing.static}`);
  }
  if (task.parentId) lines.push('', `team step (${task.role === 'subtask' ? `subtask ${task.subtask}` : task.role}) of team task ${task.parentId}`);
  if (task.team) lines.push('', 'team:', ...(task.teamReason ? [`  run as a team by the router: ${task.teamReason}`] : []), ...renderTeamTree(task));
  if (task.attempts.length > 0) {
    lines.push('', 'attempts:');
    task.attempts.forEach((attempt, index) => {
      const error = attempt.error ? ` — ${attempt.error}` : '';
      lines.push(`  ${index + 1}. ${attempt.agent}#${attempt.instance}  ${paintStatus(attempt.status)}  ${formatDuration(attempt.durationMs)}${error}`);
    });
  }
  if (task.error) lines.push('', 'error:', indent(task.error));
  if (task.output) lines.push('', 'output:', indent(task.output));
  if (task.files.length > 0) lines.push('', 'files:', ...task.files.map((file) => `  ${workspace}/${file}`));
  return lines.join('\n');
}

/**
 * A team task's steps as a tree: the plan, each subtask (with what it waited for), the combine
 * step; each with its own task id, agent, status and time.
 */
function renderTeamTree(task: TaskResult): string[] {
  const steps = task.steps ?? [];
  if (steps.length === 0) return ['  (not planned yet)'];
  const priced = steps.some((step) => typeof step.cost === 'number');
  return steps.map((step, index) => {
    const branch = index === steps.length - 1 ? '└─' : '├─';
    const name = step.role === 'subtask' ? (step.subtask ?? '?') : step.role;
    const after = step.dependsOn.length > 0 ? ` after ${step.dependsOn.join(', ')}` : '';
    const time = `  ${(step.durationMs === null ? '-' : formatDuration(step.durationMs)).padEnd(7)}`;
    const error = step.error ? ` — ${oneLine(step.error, 100)}` : '';
    const files = step.files.length > 0 ? `  files: ${step.files.join(', ')}` : '';
    // A cost column only when the models have prices (agents.yaml `prices:`).
    const cost = priced ? (typeof step.cost === 'number' ? `$${step.cost.toFixed(4)}` : '-').padEnd(9) : '';
    const tokens = `  ${(step.usage ? `${step.usage.totalTokens} tokens` : '').padEnd(12)}${cost}`;
    return `  ${branch} ${name.padEnd(10)} ${(step.agent ?? '-').padEnd(18)} ${paintStatus(step.status).padEnd(9)}${time}${tokens}${step.id}${after}${files}${error}`;
  });
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
