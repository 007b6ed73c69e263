import { teamPlanSchema } from '../protocol/team-plan.js';
import type { TeamPlan } from '../protocol/team-plan.js';

export type ParsedPlan = { ok: true; plan: TeamPlan } | { ok: false; errors: string[] };

/**
 * The planner's answer as a plan, or what is wrong with it (in words the planner can act on when
 * re-asked): JSON, the schema, then what the schema cannot say — known agents, unique ids,
 * dependencies that exist and form no cycle.
 */
export function parsePlan(output: string, agents: readonly string[]): ParsedPlan {
  let value: unknown;
  try {
    value = JSON.parse(jsonOf(output));
  } catch (error) {
    return { ok: false, errors: [`the answer is not JSON (${(error as Error).message})`] };
  }
  const parsed = teamPlanSchema.safeParse(value);
  if (!parsed.success) {
    return { ok: false, errors: parsed.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : 'the plan'}: ${issue.message}`) };
  }
  const plan = parsed.data;
  const errors: string[] = [];
  const ids = new Set<string>();
  plan.subtasks.forEach((sub, index) => {
    const at = `subtasks.${index} (${sub.id})`;
    if (ids.has(sub.id)) errors.push(`${at}: the id ${sub.id} is used twice`);
    ids.add(sub.id);
    if (sub.agent === undefined && sub.capabilities === undefined) errors.push(`${at}: give an agent or the capabilities wanted`);
    if (sub.agent !== undefined && !agents.includes(sub.agent)) errors.push(`${at}: no agent "${sub.agent}"; the agents are ${agents.join(', ')}`);
  });
  plan.subtasks.forEach((sub, index) => {
    for (const dep of sub.dependsOn) {
      if (!ids.has(dep)) errors.push(`subtasks.${index} (${sub.id}): depends on "${dep}", which is no subtask of the plan`);
      if (dep === sub.id) errors.push(`subtasks.${index} (${sub.id}): depends on itself`);
    }
  });
  if (errors.length === 0) {
    const cycle = findCycle(plan);
    if (cycle) errors.push(`the dependencies form a cycle: ${cycle.join(' → ')}`);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, plan };
}

/** The JSON object of an answer that wrapped it in a code fence anyway. */
function jsonOf(output: string): string {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(output);
  return (fenced ? fenced[1]! : output).trim();
}

function findCycle(plan: TeamPlan): string[] | null {
  const deps = new Map(plan.subtasks.map((sub) => [sub.id, sub.dependsOn]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === 'done') return null;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const dep of deps.get(id) ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, 'done');
    return null;
  };
  for (const sub of plan.subtasks) {
    const cycle = visit(sub.id);
    if (cycle) return cycle;
  }
  return null;
}
