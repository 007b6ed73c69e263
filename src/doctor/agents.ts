import type { AgentConfig } from '../config/types.js';

/**
 * The base URL of an agent lightning does not start (`url:` in agents.yaml), or null for one it
 * spawns. Read defensively so doctor keeps working whichever way remote agents are represented.
 */
export function remoteUrl(agent: AgentConfig): string | null {
  const url = (agent as { url?: unknown }).url;
  return typeof url === 'string' && url !== '' ? url : null;
}

export function isRemote(agent: AgentConfig): boolean {
  return remoteUrl(agent) !== null;
}

/** Agents that run the built-in worker: they use the model endpoint and a prompt. */
export function builtInAgents(agents: readonly AgentConfig[]): AgentConfig[] {
  return agents.filter((agent) => agent.command === null && !isRemote(agent));
}
