import * as z from 'zod';

/**
 * A team task's plan, as the planner agent's model writes it and the supervisor validates it: the
 * one schema both sides use (the worker puts its JSON Schema in the planner's prompt).
 */
export const SUBTASK_ID_RE = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

export const subtaskSchema = z.strictObject({
  id: z.string().regex(SUBTASK_ID_RE).describe('short unique id: a letter, then letters, digits, _ or - (at most 32)'),
  input: z.string().min(1).describe('what this subtask must do, self-contained'),
  agent: z.string().min(1).optional().describe('the agent to do it (one of the agents listed)'),
  capabilities: z.array(z.string().min(1)).min(1).optional().describe('or: the capabilities wanted, when no one agent is clearly right'),
  dependsOn: z.array(z.string()).default([]).describe('ids of the subtasks whose results this one needs'),
});

export const teamPlanSchema = z.strictObject({
  subtasks: z.array(subtaskSchema).min(1).max(12),
});

export type Subtask = z.output<typeof subtaskSchema>;
export type TeamPlan = z.output<typeof teamPlanSchema>;

/** Why a worker is asked for a model call: a plan or a combined answer, with no tools. */
export type TaskMode = 'plan' | 'combine';

/** The first line of the planner's system prompt: the test model server recognises a plan request by it. */
export const PLAN_PROMPT_TITLE = 'You are the planner of a team of AI agents.';
export const COMBINE_PROMPT_TITLE = "You combine the results of a team of AI agents into the team's answer.";

/** The planner's system prompt: the schema, and what a good plan is. */
export function planSystemPrompt(): string {
  return [
    PLAN_PROMPT_TITLE,
    'Split the task between <task> and </task> into subtasks for the agents listed, one agent or set of capabilities each.',
    'Give each subtask the ids of the subtasks whose results it needs (dependsOn); independent subtasks run in parallel.',
    'Every subtask works in one shared workspace and sees the results and files of the subtasks it depends on.',
    'Answer with only a JSON object (no prose, no code fence) valid against this JSON Schema:',
    JSON.stringify(z.toJSONSchema(teamPlanSchema, { io: 'input' })),
  ].join('\n');
}

export function combineSystemPrompt(): string {
  return [
    COMBINE_PROMPT_TITLE,
    'The task is between <task> and </task>; each subtask result follows it. Write the final answer to the task from them, as plain text.',
  ].join('\n');
}
