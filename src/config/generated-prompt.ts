import type { AgentConfig } from './types.js';

/**
 * The system prompt of a built-in agent written without `prompt:` — a bare entry of name, port,
 * description and capabilities. Built from the same words the router matches tasks against, so
 * the agent is what it is routed as. `prompt:` (a file) replaces it entirely. The worker appends
 * the workspace and tool instructions to either. Documented word for word in
 * docs/configuration.md ("A bare agent entry").
 */
export function generatedPrompt(agent: Pick<AgentConfig, 'name' | 'description' | 'capabilities'>): string {
  const lines = [`You are ${agent.name}, an agent in a lightning fleet.`];
  const description = agent.description.trim();
  if (description !== '') lines.push(`What you do: ${description}`);
  if (agent.capabilities.length > 0) lines.push(`Your areas of expertise: ${agent.capabilities.join(', ')}.`);
  lines.push(
    'Work on the task you are given as an expert in these areas would: do the work rather than describe it, ' +
      'check your result, and say plainly what you could not do and why.',
  );
  return lines.join('\n');
}
