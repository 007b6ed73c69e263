import type { AgentConfig } from '../config/types.js';

/** Agents that run the built-in worker: they use the model endpoint and a prompt. */
export function builtInAgents(agents: readonly AgentConfig[]): AgentConfig[] {
  return agents.filter((agent) => agent.command === null && agent.url === null);
}
